DROP TABLE flag_transitions;
DROP TABLE flags;
DROP TABLE link_suggestion_decisions;
DROP TABLE links;
