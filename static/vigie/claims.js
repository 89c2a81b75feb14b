/* Issue 16, the Espace Surveillant's shared alerts: « Pris en charge par … depuis 40 s »
   counted on every second (by the server's clock), a claim hidden and its « Je m'en occupe »
   shown again once it lapses (data-claim-ends: the server decides, the page only follows),
   Vigie.claimed(id) for the escalation (supervision.js), and the optional browser
   notification of a new alert while the page is in the background — asked for only when the
   invigilator presses « Activer les notifications ». */
(function () {
  "use strict";
  var root = document.getElementById("supervision");
  if (!root) { return; }
  var Vigie = (window.Vigie = window.Vigie || {});
  var offset = root.dataset.serverTime ? new Date(root.dataset.serverTime).getTime() - Date.now() : 0;
  function now() { return Date.now() + offset; }
  function age(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
  }
  function holds(claim) {
    return !!claim.dataset.claimEnds && now() < new Date(claim.dataset.claimEnds).getTime();
  }

  Vigie.claimed = function (id) {
    var claim = document.querySelector('.claim[data-claim-alert="' + Number(id) + '"]');
    return !!claim && holds(claim);
  };

  function tick() {
    document.querySelectorAll(".claim[data-claim-since]").forEach(function (claim) {
      var by = claim.querySelector(".claim-by"), text = claim.querySelector(".claim-text");
      var button = claim.querySelector(".claim-button");
      if (!holds(claim)) {
        if (by) { by.hidden = true; }
        if (button) { button.hidden = false; }
        return;
      }
      if (text) { text.textContent = text.dataset.words.replace("{since}", age(now() - new Date(claim.dataset.claimSince).getTime())); }
    });
  }
  setInterval(tick, 1000);
  document.body.addEventListener("htmx:afterSettle", tick);
  tick();

  /* Notifications: a new alert (an .alert-mark not seen before) while the tab is hidden. */
  var toggle = document.getElementById("notify-toggle");
  var KEY = "vigie.notifications";
  var seen = {};
  function marks() { return document.querySelectorAll("#candidates .alert-mark"); }
  marks().forEach(function (mark) { seen[mark.dataset.alertId] = true; });
  function enabled() {
    return "Notification" in window && Notification.permission === "granted" && localStorage.getItem(KEY) === "1";
  }
  function label() {
    toggle.setAttribute("aria-pressed", String(enabled()));
    toggle.textContent = enabled() ? toggle.dataset.labelOn : toggle.dataset.labelOff;
  }
  if (toggle && "Notification" in window) {
    toggle.hidden = false;
    label();
    toggle.addEventListener("click", function () {
      if (enabled()) { localStorage.removeItem(KEY); label(); return; }
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") { localStorage.setItem(KEY, "1"); }
        else { toggle.title = toggle.dataset.denied; }
        label();
      });
    });
  }
  document.body.addEventListener("htmx:afterSettle", function () {
    marks().forEach(function (mark) {
      var id = mark.dataset.alertId;
      mark.dataset.seen = "1";
      if (seen[id]) { return; }
      seen[id] = true;
      if (document.hidden && enabled()) {
        var note = new Notification(toggle.dataset.title, { body: mark.dataset.announce, tag: "vigie-alert-" + id });
        note.onclick = function () { window.focus(); note.close(); };
      }
    });
  });
})();
