/* The test page: shows the current question, saves each answer at once (retrying through
   network blips; the server treats a re-sent answer as the same answer), and follows the
   invigilator's decisions pushed over the live link. */
(function () {
  "use strict";
  var root = document.getElementById("test");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var courseId = root.dataset.courseId;
  var token = sessionStorage.getItem("vigie-run-" + courseId) || "";
  var headers = { "X-Run-Token": token };
  var shownId = null, focusLost = false, countdown = null, startedAt = null;
  var sending = false, finished = false, wasPaused = false, wasSuspended = false;
  var t = JSON.parse($("test-strings").textContent);

  function show(panel) {
    ["question-panel", "paused-panel", "suspended-panel", "companion-panel", "stale-panel", "end-panel"].forEach(function (id) {
      $(id).hidden = id !== panel;
    });
  }

  function announce(text) { $("announcer").textContent = text; }

  /* A state read that was under way while an answer was in flight may come back after the
     answer's own response (a read retried after a 503 waits seconds, or one the socket's
     return started just before the answer was saved): showing it would put the previous
     question back. An answer starts a new generation when it is sent and again when its
     response arrives; a read started in an older one is dropped. */
  var generation = 0;
  function load() {
    if (finished) { return Promise.resolve(); }
    var started = generation;
    return Vigie.api(root.dataset.stateUrl, { headers: headers }).then(function (r) {
      $("connection").hidden = r.status !== 503;
      if (r.ok && started === generation) {
        render(r.body);
        if (r.body.messages) { renderMessages(r.body.messages); }
      }
    }, function () { $("connection").hidden = false; });
  }

  /* The invigilators' messages: a banner each, until « J'ai lu » (they see who read it). */
  var shownMessages = {};
  function loadMessages() {
    return Vigie.api(root.dataset.messagesUrl).then(function (r) {
      if (r.ok) { renderMessages(r.body.messages); }
    }, function () {});
  }
  function renderMessages(messages) {
    var box = $("messages"), wanted = {};
    messages.forEach(function (m) {
      wanted[m.id] = true;
      if (shownMessages[m.id]) { return; }
      var banner = document.createElement("div");
      banner.className = "banner";
      banner.setAttribute("role", "alert");
      var p = document.createElement("p");
      var title = document.createElement("strong");
      title.textContent = t.message.replace("%s", m.at);
      p.appendChild(title);
      p.appendChild(document.createElement("br"));
      p.appendChild(document.createTextNode(m.text));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "primary";
      button.textContent = t.read;
      button.addEventListener("click", function () {
        button.disabled = true;
        Vigie.api(root.dataset.messagesUrl + "/" + m.id + "/read", { method: "POST", body: {} }).then(
          function (r) { if (r.ok) { banner.remove(); delete shownMessages[m.id]; } else { button.disabled = false; } },
          function () { button.disabled = false; }
        );
      });
      banner.appendChild(p);
      banner.appendChild(button);
      box.appendChild(banner);
      shownMessages[m.id] = banner;
    });
    Object.keys(shownMessages).forEach(function (id) {
      if (!wanted[id]) { shownMessages[id].remove(); delete shownMessages[id]; }
    });
  }

  function render(state) {
    startedAt = new Date(state.started_at_iso).getTime();
    $("started-at").textContent = state.started_at;
    $("theoretical-end").textContent = state.theoretical_end;
    $("extra-time").textContent = state.extra_time_percentage
      ? " (" + t.extra.replace("%s", state.extra_time_percentage) + ")" : "";
    var number = Math.min(state.answered + 1, state.total);
    $("progress").textContent = t.progress.replace("%n", number).replace("%t", state.total);
    if (!state.running) {
      finished = true;
      stopCountdown();
      $("end-message").textContent = state.end_message;
      show("end-panel");
      announce(state.end_message);
      return;
    }
    if (!state.run_ok) { stopCountdown(); show("stale-panel"); return; }
    if (state.suspended) {
      // « Épreuve suspendue »: the clock stands still, no answer is taken until the
      // invigilator resumes; the question comes back with the time it had.
      stopCountdown();
      $("suspended-message").textContent = state.suspended.message;
      $("suspended-since").textContent = state.suspended.since;
      if (!wasSuspended) { announce(t.suspended + " " + state.suspended.message); }
      wasSuspended = true;
      shownId = null;
      show("suspended-panel");
      return;
    }
    wasSuspended = false;
    companion.required = state.companion_required;
    if (state.companion_blocked) {
      stopCountdown();
      if (!companion.blocked) { announce(t.companionMissing); }
      companion.blocked = true;
      show("companion-panel");
      return;
    }
    if (companion.blocked) {
      // The invigilator confirmed the extension: give it time to answer before re-checking.
      companion.blocked = false;
      companion.misses = 0;
      companion.graceUntil = Date.now() + COMPANION_GRACE_MS;
      shownId = null;
    }
    if (state.paused) {
      stopCountdown();
      if (!wasPaused) { announce(t.paused); }
      wasPaused = true;
      show("paused-panel");
      return;
    }
    if (!state.question) { return; }
    show("question-panel");
    var resolved = wasPaused && state.last_alert;
    wasPaused = false;
    if (state.question.id !== shownId) { renderQuestion(state.question); }
    if (resolved) {
      // The decision is shown, not only announced; the report panel closes, so « Oui, je
      // suis sûr(e) » is no longer one tap away (issue 13).
      var decision = state.last_alert.status === "validated" ? t.validated : t.refused;
      $("report").open = false;
      $("decision").textContent = decision;
      $("decision").hidden = false;
      announce(decision);
    }
  }

  function renderQuestion(q) {
    shownId = q.id;
    focusLost = false;
    $("report").open = false;
    $("decision").hidden = true;
    $("answer-error").hidden = true;
    $("question-title").textContent = t.question.replace("%n", q.number);
    $("question-prompt").textContent = q.prompt;
    var image = $("question-image");
    image.hidden = !q.media.image_url;
    if (q.media.image_url) {
      image.querySelector("img").src = q.media.image_url;
      image.querySelector("img").alt = q.media.alt || "";
    }
    var attachment = $("question-attachment");
    attachment.hidden = !q.media.attachment_url;
    if (q.media.attachment_url) { attachment.querySelector("a").href = q.media.attachment_url; }
    var simulator = $("question-simulator");
    simulator.hidden = !q.media.simulator_url;
    simulator.src = q.media.simulator_url || "about:blank";
    var choices = $("choices");
    choices.querySelectorAll(".choice").forEach(function (node) { node.remove(); });
    choices.hidden = q.type === "free";
    $("free-answer").hidden = q.type !== "free";
    $("free-input").value = "";
    q.choices.forEach(function (text, index) {
      var wrapper = document.createElement("div");
      wrapper.className = "choice";
      var input = document.createElement("input");
      input.type = q.type === "single" ? "radio" : "checkbox";
      input.name = "choice";
      input.value = String(index);
      input.id = "choice-" + index;
      var label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = text;
      wrapper.appendChild(input);
      wrapper.appendChild(label);
      choices.appendChild(wrapper);
    });
    $("focus-warning").hidden = q.flags.indexOf("focus") === -1;
    root.dataset.focus = q.flags.indexOf("focus") === -1 ? "" : "1";
    startCountdown(q);
    $("question-title").focus();
    announce($("question-title").textContent);
  }

  function response() {
    var q = $("free-answer").hidden ? null : $("free-input").value;
    if (q !== null) { return q; }
    return Array.prototype.map.call(
      document.querySelectorAll("#choices input:checked"), function (i) { return Number(i.value); }
    );
  }

  function submit(onTimeout) {
    if (sending || !shownId) { return; }
    var value = response();
    var empty = Array.isArray(value) ? value.length === 0 : value.trim() === "";
    if (empty && !onTimeout) {
      $("answer-error").textContent = t.empty;
      $("answer-error").hidden = false;
      return;
    }
    sending = true;
    generation += 1;
    stopCountdown();
    var body = { item_id: shownId, response: value, focus_lost: focusLost };
    var attempt = 0;
    function again() {
      // Network blip, or the server's database still away after Vigie.api's own retries
      // (503): keep the answer and send it again; the server deduplicates it.
      $("connection").hidden = false;
      attempt += 1;
      setTimeout(send, Math.min(1000 * Math.pow(2, attempt), 15000));
    }
    function send() {
      Vigie.api(root.dataset.answerUrl, { method: "POST", body: body, headers: headers })
        .then(function (r) {
          if (r.status === 503) { again(); return; }
          sending = false;
          // Reads started while the answer was in flight may have been served before it was
          // saved: only reads started from now on show the state.
          generation += 1;
          $("connection").hidden = true;
          // The response carries the next question: no second request.
          if (r.ok && r.body && r.body.state) { render(r.body.state); return; }
          if (r.ok || r.status === 409) { load(); return; }
          $("answer-error").textContent = (r.body && r.body.detail) || t.error;
          $("answer-error").hidden = false;
        }, again);
    }
    send();
  }

  function startCountdown(q) {
    stopCountdown();
    var timer = $("question-timer");
    timer.hidden = !q.timed;
    if (!q.timed) { return; }
    var deadline = Date.now() + q.remaining_seconds * 1000;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = t.timer.replace("%s", left);
      if (left === 0) { stopCountdown(); submit(true); }
    }
    tick();
    countdown = setInterval(tick, 1000);
  }

  function stopCountdown() { if (countdown) { clearInterval(countdown); countdown = null; } }

  function onFocusLost() {
    if (root.dataset.focus !== "1" || focusLost || $("question-panel").hidden) { return; }
    focusLost = true;
    $("focus-warning").textContent = t.focusLost;
    announce(t.focusLost);
  }

  $("answer-form").addEventListener("submit", function (event) { event.preventDefault(); submit(false); });
  $("report-confirm").addEventListener("click", function () {
    Vigie.api(root.dataset.alertUrl, { method: "POST", body: { item_id: shownId }, headers: headers })
      .then(load, function () { $("connection").hidden = false; });
  });
  window.addEventListener("blur", onFocusLost);
  document.addEventListener("visibilitychange", function () { if (document.hidden) { onFocusLost(); } });
  setInterval(function () {
    if (!startedAt || finished) { return; }
    var s = Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    $("elapsed").textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  }, 1000);

  /* Vigie Companion (extension/README.md): every second the page posts a ping; the
     extension's content script answers with a pong carrying the same nonce. Two missed
     pongs in a row block the test and alert the invigilator. */
  var COMPANION_GRACE_MS = 10000;
  var companion = { required: false, blocked: false, misses: 0, pending: null, graceUntil: 0 };
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window || !data || data.source !== "vigie-companion") { return; }
    if (data.type === "companion:pong" && data.nonce === companion.pending) {
      companion.pending = null;
      companion.misses = 0;
    }
  });
  setInterval(function () {
    if (!companion.required || companion.blocked || finished || $("question-panel").hidden) { return; }
    if (companion.pending !== null) { companion.misses += 1; }
    if (companion.misses >= 2 && Date.now() > companion.graceUntil) {
      companion.misses = 0;
      companion.pending = null;
      Vigie.api(root.dataset.companionUrl, { method: "POST", body: {}, headers: headers }).then(load, function () {});
      return;
    }
    companion.pending = Math.random().toString(36).slice(2);
    window.postMessage({ source: "vigie-page", type: "companion:ping", nonce: companion.pending }, location.origin);
  }, 1000);

  /* The state the start's response carried (start.js), once: a reload reads it anew. Its
     question's own time has run on since, by the time the page took to open. */
  function startedState() {
    var key = "vigie-state-" + courseId, kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    sessionStorage.removeItem(key);
    if (!kept || !kept.state) { return null; }
    var q = kept.state.question;
    if (q && q.remaining_seconds !== null && q.remaining_seconds !== undefined) {
      q.remaining_seconds = Math.max(0, q.remaining_seconds - Math.floor((Date.now() - kept.at) / 1000));
    }
    return kept.state;
  }

  function refresh() { return load(); }  // the state read carries the messages
  Vigie.follow(root.dataset.wsPath, {
    onEvent: function (event) { if (event && event.type === "message") { loadMessages(); } else { load(); } },
    refresh: refresh,  // also once the link is up: what changed before it was is read then
    every: 3000
  });
  var started = startedState();
  if (started) {
    render(started);
    if (started.messages) { renderMessages(started.messages); }
  } else {
    refresh();
  }
})();
