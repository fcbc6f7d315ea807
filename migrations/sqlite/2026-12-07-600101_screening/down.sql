DROP TABLE notifications;
DROP TABLE watches;
DROP TABLE screening_hits;
DROP TABLE sanctions_lists;
