/* The Espace Surveillant: what the server cannot do. The rows, their buttons and every text
   are rendered by the server (templates/invigilation/_row.html); actions are htmx posts
   that get their row back. Here: swapping in the rows a live event changed, pushed by the
   server (invigilation/push.py), or fetching them (one request at a time) when the push
   lacks something, the confirmation dialogs, the search, the order of the rows, the announcement
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
    if (!w.all && !ids.length && !w.journal && !w.since) { return; }
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

  /* Rows pushed by the server (issue 17), rendered once for every invigilator: swapped in
     like a fetch's answer, without a request. The head and the timeline come with the
     journal's mark and its newest lines: the page adds the lines it lacks when they account
     for every event since its own mark (the counts of events agree), keeps its own head when
     the push is older than it, and otherwise fetches the journal since its mark. Rows the
     push could not carry (a claim reads « Vous » to its holder: `fetch`) or that the page
     does not show are fetched. */
  function markOf(text) {
    var parts = String(text || "").split("-");
    return parts.length === 2 && parts[0] !== "" ? { count: Number(parts[0]), last: Number(parts[1]) } : null;
  }
  function addLines(push) {
    var timeline = $("timeline"), page = markOf(journalMark()), pushed = markOf(push.mark);
    if (!pushed || !page) { return { ok: false, newer: false }; }
    if (pushed.count <= page.count) { return { ok: true, newer: pushed.count === page.count }; }
    var box = document.createElement("template");
    box.innerHTML = push.lines;
    var lines = Array.prototype.slice.call(box.content.children), shown = {};
    timeline.querySelectorAll("li[data-id]").forEach(function (li) { shown[li.dataset.id] = true; });
    var lacking = lines.filter(function (li) { return !shown[li.dataset.id]; }).length;
    if (page.count + lacking !== pushed.count) { return { ok: false, newer: true }; }
    // Lines not among the pushed ones are older than all of them: the pushed go on top.
    lines.forEach(function (li) {
      var old = timeline.querySelector('li[data-id="' + li.dataset.id + '"]');
      if (old) { old.remove(); }
    });
    timeline.querySelectorAll("li[data-mark]").forEach(function (li) { li.removeAttribute("data-mark"); });
    lines[0].dataset.mark = push.mark;
    for (var i = lines.length - 1; i >= 0; i -= 1) { timeline.insertBefore(lines[i], timeline.firstChild); }
    return { ok: true, newer: true };
  }
  function applyPushed(push) {
    var journal = addLines(push);
    var html = push.html + (journal.newer ? push.head : "");
    if (html) { htmx.swap(root, html, { swapStyle: "none" }); }
    var fetch = (push.fetch || []).slice();
    push.ids.forEach(function (id) { if (!$("candidate-" + id)) { fetch.push(id); } });
    if (fetch.length || !journal.ok) { want(fetch, false, false, !journal.ok); }
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
    // A row's own button: its row is about to be replaced (an event on the old button
    // would reach nobody), so its message is kept now and shown on the new row.
    var elt = event.detail.elt, row = elt.closest && elt.closest("li.candidate");
    if (row && !elt.closest("dialog")) {
      pendingResult = { id: row.id.replace("candidate-", ""), text: flashOf(event.detail.xhr), ok: status < 400 };
    }
  });
  var pendingResult = null;

  /* A row whose alert dialog is open keeps it while the alert is still pending; the
     room's « Reprendre la session » keeps its ticks while it is open. */
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, fragment = event.detail.fragment;
    // A row read earlier than the one shown (a fetch and a push crossing) is not swapped in.
    var incoming = fragment && (fragment.nodeType === 1 ? fragment : fragment.firstElementChild);
    if (target.matches && target.matches("li.candidate") && incoming && incoming.dataset &&
        Number(incoming.dataset.version || 0) < Number(target.dataset.version || 0)) {
      event.detail.shouldSwap = false;
      return;
    }
    if (target.id === "candidates" && fragment && fragment.querySelectorAll) {
      // The whole list: each row keeps the newer of its two copies.
      fragment.querySelectorAll("li.candidate").forEach(function (row) {
        var shown = $(row.id);
        if (shown && Number(row.dataset.version || 0) < Number(shown.dataset.version || 0)) {
          row.replaceWith(shown.cloneNode(true));
        }
      });
    }
    var open = target.querySelector && target.querySelector("dialog[open]");
    if (!open) { return; }
    var selector = open.hasAttribute("data-keep-open") ? "#" + open.id : 'dialog[data-alert-id="' + open.dataset.alertId + '"]';
    var same = fragment && fragment.querySelector && fragment.querySelector(selector);
    if (same) { event.detail.shouldSwap = false; }
  });

  /* The action dialogs (add time, suspend, message): one of each on the page, opened by a
     row's or the room's button with its URL and whom it concerns. A refusal comes back
     into the dialog, which stays open; a success closes it, and its message shows on the
     row acted on (not over it). */
  var results = {}, acting = null;
  function openAction(opener) {
    var dialog = $(opener.dataset.dialog), form = dialog.querySelector("form");
    form.reset();
    form.setAttribute("hx-post", opener.dataset.url);
    var ids = form.querySelector("input[name=ids]");
    if (ids) { ids.remove(); }
    (opener.dataset.ids || "").split(",").filter(Boolean).forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "ids"; input.value = id;
      form.appendChild(input);
    });
    htmx.process(form);
    var who = dialog.querySelector(".dialog-who");
    if (who) { who.textContent = opener.dataset.who || ""; }
    dialog.querySelector(".dialog-error").hidden = true;
    var row = opener.closest("li.candidate");
    dialog.dataset.row = row ? row.id.replace("candidate-", "") : "";
    var menu = opener.closest("details.menu");
    if (menu) { menu.open = false; }
    dialog.showModal();
  }
  function flashOf(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var flash = doc.getElementById("flash");
    return flash ? flash.textContent.trim() : "";
  }
  function showResult(id, text, ok) {
    results[id] = { text: text, ok: ok, until: Date.now() + 10000 };
    $("flash").hidden = true;
    applyResults();
  }
  function applyResults() {
    var now = Date.now();
    Object.keys(results).forEach(function (id) {
      var slot = $("result-" + id), result = results[id];
      if (result.until < now) { delete results[id]; if (slot) { slot.hidden = true; } return; }
      if (!slot) { return; }
      slot.textContent = result.text;
      slot.className = "row-result " + (result.ok ? "flash-ok" : "flash-error");
      slot.hidden = false;
    });
  }
  setInterval(applyResults, 1000);
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt, xhr = event.detail.xhr;
    if (!elt.closest || !xhr || xhr.status === 403 || xhr.status === 404 || xhr.status === 412) { return; }
    var dialog = elt.closest("dialog.action-dialog");
    // Not `successful`: a refusal (409…) is swapped like a success (its row comes back).
    var text = flashOf(xhr), ok = xhr.status < 400;
    if (dialog && !ok) {
      var error = dialog.querySelector(".dialog-error");
      error.textContent = text; error.hidden = false;
      $("flash").hidden = true;
      return;
    }
    if (dialog && dialog.open) { dialog.close(); }
    if (dialog && dialog.dataset.row && text) { showResult(dialog.dataset.row, text, ok); }
  });

  /* The selection: ticked rows kept across their re-rendering; the bulk buttons' questions
     and dialogs name how many and who. */
  var picked = {};
  function plural(one, many, count) { return (count === 1 ? one : many).replace("{count}", String(count)); }
  function pickedRows() {
    return Array.prototype.filter.call(list.querySelectorAll("li.candidate"), function (row) { return picked[row.id]; });
  }
  function updateSelection() {
    var bar = $("selection-bar"), rows = pickedRows(), count = rows.length;
    Object.keys(picked).forEach(function (id) { if (!$(id)) { delete picked[id]; } });
    list.querySelectorAll("input.pick").forEach(function (box) { box.checked = !!picked[box.closest("li").id]; });
    var names = rows.map(function (row) { return row.dataset.name; }).join(", ");
    var ids = rows.map(function (row) { return row.id.replace("candidate-", ""); }).join(",");
    $("selection-count").textContent = count ? plural(bar.dataset.countOne, bar.dataset.countMany, count) : "";
    $("selection-actions").hidden = !count;
    $("select-none").hidden = !count;
    bar.querySelectorAll(".selection-action").forEach(function (button) {
      if (button.dataset.questionOne) {
        button.setAttribute("hx-confirm", plural(button.dataset.questionOne, button.dataset.questionMany, count));
        button.dataset.confirmText = names;
      } else {
        button.dataset.ids = ids;
        button.dataset.who = plural(bar.dataset.whoOne, bar.dataset.whoMany, count).replace("{names}", names);
      }
    });
  }
  list.addEventListener("change", function (event) {
    if (!event.target.matches("input.pick")) { return; }
    var id = event.target.closest("li").id;
    if (event.target.checked) { picked[id] = true; } else { delete picked[id]; }
    updateSelection();
  });
  $("select-all").addEventListener("click", function () {
    list.querySelectorAll("li.candidate").forEach(function (row) { if (!row.hidden) { picked[row.id] = true; } });
    updateSelection();
  });
  $("select-none").addEventListener("click", function () { picked = {}; updateSelection(); });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var bulk = elt.closest && (elt.closest(".selection-action") || (elt.closest("form") && elt.closest("form").querySelector("input[name=ids][type=hidden]")));
    if (bulk && event.detail.xhr && event.detail.xhr.status < 400) { picked = {}; updateSelection(); }
  });

  document.body.addEventListener("htmx:afterSettle", settle);
  function settle() {
    if (pendingResult && pendingResult.text) { showResult(pendingResult.id, pendingResult.text, pendingResult.ok); }
    pendingResult = null;
    applyResults();
    updateSelection();
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

  /* The search and the bar's chips (one group at a time, or all); each chip counts its
     rows, whatever the filters. */
  var group = "";
  function filter() {
    var q = fold($("search").value), counts = {};
    list.querySelectorAll("li.candidate").forEach(function (row) {
      var first = fold(row.dataset.first), last = fold(row.dataset.last);
      counts[row.dataset.group] = (counts[row.dataset.group] || 0) + 1;
      row.hidden = (!!group && row.dataset.group !== group) || (!!q && !(first.indexOf(q) === 0 || last.indexOf(q) === 0 ||
        (first + " " + last).indexOf(q) === 0 || (last + " " + first).indexOf(q) === 0));
    });
    document.querySelectorAll(".chip[data-group]").forEach(function (chip) {
      chip.querySelector(".chip-count").textContent = String(counts[chip.dataset.group] || 0);
      chip.setAttribute("aria-pressed", String(chip.dataset.group === group));
    });
  }
  document.querySelectorAll(".chip[data-group]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      group = group === chip.dataset.group ? "" : chip.dataset.group;
      filter();
    });
  });

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
  /* An open « ⋯ » menu closes when the invigilator taps anywhere else. */
  document.addEventListener("click", function (event) {
    list.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
  root.addEventListener("click", function (event) {
    var action = event.target.closest("[data-dialog]");
    if (action) { openAction(action); return; }
    var toggle = event.target.closest("[data-toggles]");
    if (toggle) {
      var details = $(toggle.dataset.toggles);
      details.open = !details.open;
      openNotes[details.id] = details.open;
      toggle.closest("details.menu").open = false;
      if (details.open) { details.scrollIntoView({ block: "nearest" }); }
      return;
    }
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
    // A refusal is swapped too (`successful`): the text typed stays for a second try.
    if (event.detail.xhr && event.detail.xhr.status < 400 && form.matches && form.matches("form[data-reset-on-success]")) { form.reset(); }
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
      if (event.type === "rows") {
        if (event.op === "pushed") { applyPushed(event); } else { want(event.ids, false, false, true); }
        return;
      }
      if (event.op === "answered" && patchAnswered(event)) { return; }
      if (event.type === "candidate" && event.candidate_id) {
        // Its row; the counts and the timeline if it wrote to the journal (a last answer
        // ends the test: it did).
        want([event.candidate_id], false, false, true);
      } else if (event.type === "message" || (event.type === "session" && (event.op === "note" || event.op === "watchers"))) {
        want([], true, false);  // who read a message, a note, who is watching: the journal
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
  /* A phone waking up, or changing network: the socket may have missed events while the
     page slept. Re-read everything at once, and say so. */
  function resync() {
    refreshAll();
    status.textContent = root.dataset.resyncText;
    status.className = "link-status small";
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { resync(); } });
  window.addEventListener("online", resync);
  // Pushed events are best effort (a worker restarting drops its sockets' queues): re-read
  // every row once a minute anyway, so a row can never stay wrong for long. At a random
  // phase: a hundred pages opened at nine o'clock must not all re-read in the same second.
  setTimeout(function () { refreshAll(); setInterval(refreshAll, 60000); }, Math.random() * 60000);
  settle();
})();
