/* The Espace Surveillant: what the server cannot do. The rows, their buttons and every text
   are rendered by the server (templates/invigilation/_row.html); actions are htmx posts
   that get their row back. Here: fetching the rows a live event changed (one request at a
   time), the confirmation dialogs, the search, the order of the rows, the announcement
   and escalation of alerts, the sound. The socket, polling and countdowns: live.js. */
(function () {
  "use strict";
  var root = document.getElementById("supervision");
  if (!root || !window.htmx) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var list = $("candidates");
  var soundOn = false, audio = null, alertSeen = {}, escalated = {}, openNotes = {};
  var baseTitle = document.title;

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9 ]/g, " ").replace(/\s+/g, " ").trim();
  }
  function announce(text) { $("announcer").textContent = ""; setTimeout(function () { $("announcer").textContent = text; }, 50); }

  /* Rows to fetch: the ids of the events received meanwhile, the journal (who is watching,
     notes, timeline) if any of them changes it, or everything. One request at a time. */
  var wanted = { ids: {}, journal: false, since: false, all: false }, busy = false;
  function want(ids, journal, all, since) {
    ids.forEach(function (id) { wanted.ids[id] = true; });
    wanted.journal = wanted.journal || journal;
    wanted.since = wanted.since || !!since;
    wanted.all = wanted.all || all;
    if (!busy) { fetchRows(); }
  }
  function fetchRows() {
    var w = wanted, ids = Object.keys(w.ids);
    if (!w.all && !ids.length && !w.journal) { return; }
    wanted = { ids: {}, journal: false, since: false, all: false };
    busy = true;
    // since=: the counts and the journal only if the session's journal moved on (issue 14).
    var since = w.since ? "&since=" + encodeURIComponent(journalMark()) : "";
    var url = root.dataset.rowsUrl + (w.all ? "" : "?ids=" + ids.join(",") + (w.journal ? "&journal=1" : since));
    htmx.ajax("GET", url, { source: root, swap: "none" }).then(done, done);
    function done() { busy = false; fetchRows(); }
  }
  function refreshAll() { want([], true, true); }
  /* The journal's mark: on its newest line when lines were added since it was rendered
     (a start's fetch brings its line only), else on the timeline; the timeline keeps 50. */
  function journalMark() {
    var timeline = $("timeline"), first = timeline.firstElementChild;
    while (timeline.children.length > 50) { timeline.removeChild(timeline.lastElementChild); }
    return (first && first.dataset.mark) || timeline.dataset.mark || "";
  }

  /* An answer changes one number of one running row, and its event carries it: patched
     in place, in the row's own words (data-words), without a request — answers are most
     of the events. A focus-mode or timed-out answer has its own event, which fetches. */
  function patchAnswered(event) {
    var progress = document.querySelector("#candidate-" + Number(event.candidate_id) + " .progress[data-answered]");
    if (!progress || event.status !== "started" || !event.position) { return false; }
    var answered = Math.max(Number(progress.dataset.answered), Number(event.position));
    progress.dataset.answered = String(answered);
    progress.textContent = progress.dataset.words.replace("{answered}", String(answered));
    return true;
  }

  /* Statuses the page answers by reloading: the session was finalized (412), the access
     expired (403) or vanished (404); the reload shows why. Other refusals (409: another
     invigilator acted first) carry their row and message: swap them. */
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403 || status === 404 || status === 412) { location.reload(); return; }
    if (status >= 400 && status < 500) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });

  /* A row whose alert dialog is open keeps it while the alert is still pending. */
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, fragment = event.detail.fragment;
    var open = target.querySelector && target.querySelector("dialog[open]");
    if (!open) { return; }
    var same = fragment && fragment.querySelector && fragment.querySelector('dialog[data-alert-id="' + open.dataset.alertId + '"]');
    if (same) { event.detail.shouldSwap = false; }
  });

  document.body.addEventListener("htmx:afterSettle", settle);
  function settle() {
    list.querySelectorAll("details.notes-box").forEach(function (details) {
      if (openNotes[details.id]) { details.open = true; }
    });
    order();
    filter();
    trackAlerts();
    countdown();
    var flash = $("flash");
    if (!flash.hidden && flash.textContent) {
      clearTimeout(settle.timer);
      settle.timer = setTimeout(function () { flash.hidden = true; }, 8000);
    }
  }
  list.addEventListener("toggle", function (event) {
    if (event.target.matches("details.notes-box")) { openNotes[event.target.id] = event.target.open; }
  }, true);

  /* Those needing attention first (the server's `attention`), then by name. */
  function order() {
    var rows = Array.prototype.slice.call(list.children);
    var sorted = rows.slice().sort(function (a, b) {
      return (a.dataset.attention - b.dataset.attention) || (a.dataset.sort < b.dataset.sort ? -1 : a.dataset.sort > b.dataset.sort ? 1 : 0);
    });
    if (sorted.some(function (row, i) { return row !== rows[i]; })) {
      var focused = document.activeElement;
      sorted.forEach(function (row) { list.appendChild(row); });
      if (focused && focused !== document.activeElement && document.contains(focused)) { focused.focus(); }
    }
  }

  function filter() {
    var q = fold($("search").value);
    list.querySelectorAll("li.candidate").forEach(function (row) {
      var first = fold(row.dataset.first), last = fold(row.dataset.last);
      row.hidden = !!q && !(first.indexOf(q) === 0 || last.indexOf(q) === 0 ||
        (first + " " + last).indexOf(q) === 0 || (last + " " + first).indexOf(q) === 0);
    });
  }

  function trackAlerts() {
    var now = Date.now(), current = {};
    list.querySelectorAll(".alert-mark").forEach(function (mark) {
      var id = mark.dataset.alertId;
      current[id] = true;
      if (!alertSeen[id]) { alertSeen[id] = now; announce(mark.dataset.announce); }
    });
    Object.keys(alertSeen).forEach(function (id) { if (!current[id]) { delete alertSeen[id]; delete escalated[id]; } });
  }

  function beep() {
    if (!soundOn || !audio) { return; }
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(); osc.stop(audio.currentTime + 0.35);
  }

  /* An alert left unanswered for 60 seconds escalates: tab title and optional sound;
     not while an invigilator's « Je m'en occupe » holds. */
  function escalate() {
    var pending = 0;
    Object.keys(alertSeen).forEach(function (id) {
      if (Vigie.claimed && Vigie.claimed(id)) { return; }  // an invigilator is on it (claims.js)
      if (Date.now() - alertSeen[id] >= 60000) {
        pending += 1;
        if (!escalated[id]) { escalated[id] = true; beep(); }
      }
    });
    document.title = pending ? "(" + pending + ") " + baseTitle : baseTitle;
  }

  /* Confirmations: the question, text and button of the dialog come with the button
     (hx-confirm, data-confirm-text, data-confirm-yes, data-confirm-danger). */
  document.body.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    if (!event.detail.question || !root.contains(source)) { return; }
    event.preventDefault();
    var dialog = $("confirm-dialog"), yes = $("confirm-yes");
    $("confirm-title").textContent = event.detail.question;
    $("confirm-text").textContent = source.dataset.confirmText || "";
    yes.textContent = source.dataset.confirmYes || "";
    yes.className = source.hasAttribute("data-confirm-danger") ? "danger-action" : "primary";
    yes.onclick = function () { dialog.close(); event.detail.issueRequest(true); };
    $("confirm-no").onclick = function () { dialog.close(); };
    dialog.showModal();
  });

  /* A report's decision needs a reason to validate: said in the dialog, not by the
     browser's own bubble. Runs before htmx's listener (capture). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-choice-required]")) { return; }
    var chosen = form.querySelector("input[type=radio]:checked");
    form.querySelector(".choice-error").hidden = !!chosen;
    if (!chosen) { event.preventDefault(); event.stopPropagation(); }
  }, true);
  root.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-opens]");
    if (opener) { $(opener.dataset.opens).showModal(); return; }
    var closer = event.target.closest("[data-closes-dialog]");
    if (closer) { closer.closest("dialog").close(); }
  });
  /* A decision posted from a dialog closes it at once; its row comes back without it. */
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var dialog = event.detail.elt.closest && event.detail.elt.closest("dialog.alert-dialog");
    if (dialog && dialog.open) { dialog.close(); }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) { form.reset(); }
  });

  $("search").addEventListener("input", filter);
  $("search-clear").addEventListener("click", function () { $("search").value = ""; $("search").focus(); filter(); });
  $("sound-toggle").addEventListener("click", function () {
    soundOn = !soundOn;
    if (soundOn && !audio) { audio = new (window.AudioContext || window.webkitAudioContext)(); }
    this.setAttribute("aria-pressed", String(soundOn));
    this.textContent = soundOn ? this.dataset.labelOn : this.dataset.labelOff;
  });
  $("leave-open").addEventListener("click", function () { $("leave-dialog").showModal(); });
  $("leave-close").addEventListener("click", function () { $("leave-dialog").close(); });

  var countdown = Vigie.countdowns(list, { remaining: root.dataset.remainingText, over: root.dataset.timeOverText }, root.dataset.serverTime);
  setInterval(escalate, 1000);
  var status = $("link-status");
  var link = Vigie.follow(root.dataset.wsPath, {
    onEvent: function (event) {
      if (event.type === "heartbeat") { return; }
      if (event.op === "answered" && patchAnswered(event)) { return; }
      if (event.type === "candidate" && event.candidate_id) {
        // Its row; the counts and the timeline if it wrote to the journal (a last answer
        // ends the test: it did).
        want([event.candidate_id], false, false, true);
      } else if (event.type === "session" && (event.op === "note" || event.op === "watchers")) {
        want([], true, false);
      } else {
        refreshAll();  // « closed » and anything unknown: the whole list (refused once finalized)
      }
    },
    refresh: refreshAll,
    every: 5000,
    onDown: function () { status.textContent = root.dataset.downText; status.className = "small warning"; },
    onUp: function () { status.textContent = root.dataset.liveText; status.className = "small"; }
  });
  setInterval(function () { link.send({ type: "heartbeat" }); }, 20000);
  // Pushed events are best effort (a worker restarting drops its sockets' queues): re-read
  // every row once a minute anyway, so a row can never stay wrong for long.
  setInterval(refreshAll, 60000);
  settle();
})();
