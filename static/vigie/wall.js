/* « Affichage salle »: the clock in the centre's time zone (by the server's clock), and the
   content read again from the server on each live event of the session (a suspension, a
   message, a test started or given time), one request at a time; polled every 5 s while the
   live link is down, and every 30 s anyway. An answer changes nothing shown here. */
(function () {
  "use strict";
  var root = document.getElementById("wall");
  if (!root || !window.Vigie) { return; }
  var offset = new Date(root.dataset.serverTime).getTime() - Date.now();
  var clock = new Intl.DateTimeFormat(root.dataset.lang || "fr", {
    timeZone: root.dataset.zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });
  function tick() {
    var node = document.getElementById("wall-clock");
    if (node) { node.textContent = clock.format(new Date(Date.now() + offset)); }
  }
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.dataset.contentUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // Refused (the session was finalized, the access expired): the page says why.
        if (response.redirected || !response.ok) { location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null || html === undefined) { return; }
        var link = document.getElementById("wall-link").textContent;
        root.innerHTML = html;
        document.getElementById("wall-link").textContent = link;
        tick();
      })
      .catch(function () { /* offline: the next poll tries again */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  Vigie.follow(root.dataset.wsPath, {
    onEvent: function (event) {
      if (event.type === "heartbeat" || event.op === "answered") { return; }
      refresh();
    },
    refresh: refresh,
    every: 5000,
    onDown: function () { document.getElementById("wall-link").textContent = root.dataset.downText; },
    onUp: function () { document.getElementById("wall-link").textContent = ""; }
  });
  setInterval(refresh, 30000);
  setInterval(tick, 1000);
  tick();
})();
