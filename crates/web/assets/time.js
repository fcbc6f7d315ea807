// Dates on the pages are sent in UTC inside <time datetime=…>; this shows
// each in the reader's own time zone, to the minute, and keeps the UTC
// time on hover (title). Without script the UTC text stays.
document.querySelectorAll("time[datetime]").forEach(function (t) {
  var d = new Date(t.getAttribute("datetime"));
  if (isNaN(d)) return;
  var p = function (n) { return (n < 10 ? "0" : "") + n; };
  var zone = "";
  try {
    zone = " " + new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
      .formatToParts(d).find(function (x) { return x.type === "timeZoneName"; }).value;
  } catch (e) { zone = ""; }
  t.textContent = d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) +
    " " + p(d.getHours()) + ":" + p(d.getMinutes()) + zone;
});
