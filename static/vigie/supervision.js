/* The Espace Surveillant: the candidates' live list and every action on it.
   State comes from one JSON endpoint, re-read on each pushed event (or every 5 s while the
   push link is down); actions are POSTs whose refusals ("already handled by X") are shown. */
(function () {
  "use strict";
  var root = document.getElementById("supervision");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var t = JSON.parse($("supervision-strings").textContent);
  var api = root.dataset.api;
  var state = null, poller = null, clockOffset = 0, soundOn = false, audio = null;
  var alertSeen = {}, escalated = {}, link = null;

  function fill(text, values) {
    Object.keys(values).forEach(function (k) { text = text.split("%" + k).join(values[k]); });
    return text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") { node.className = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9 ]/g, " ").replace(/\s+/g, " ").trim();
  }
  function announce(text) { $("announcer").textContent = ""; setTimeout(function () { $("announcer").textContent = text; }, 50); }
  function flash(text, ok) {
    var box = $("flash");
    box.textContent = text;
    box.className = "flash " + (ok ? "flash-ok" : "flash-error");
    box.setAttribute("role", ok ? "status" : "alert");
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  // One state read at a time: events arriving meanwhile are covered by one more read.
  var loading = null, again = false;
  function load() {
    if (loading) { again = true; return loading; }
    loading = Vigie.api(root.dataset.stateUrl).then(function (r) {
      if (r.status === 404 || r.status === 403) { location.reload(); return; }
      if (r.ok) { render(r.body); }
    }, function () {}).then(function () {
      loading = null;
      if (again) { again = false; return load(); }
    });
    return loading;
  }

  function patchAnswered(event) {
    if (!state || loading) { return false; }
    var row = state.candidates.filter(function (c) { return c.id === event.candidate_id; })[0];
    if (!row || ["started", "resume_authorized"].indexOf(row.status) === -1) { return false; }
    row.answered = Math.max(row.answered, event.position);
    renderCandidates();
    return true;
  }

  function post(path, body, done) {
    return Vigie.api(api + path, { method: "POST", body: body || {} }).then(function (r) {
      if (r.ok) { if (done) { flash(done, true); announce(done); } }
      else { flash((r.body && r.body.detail) || t.error, false); }
      load();
      return r;
    }, function () { flash(t.error, false); });
  }

  function render(data) {
    state = data;
    clockOffset = new Date(data.server_time).getTime() - Date.now();
    $("counter").textContent = fill(t.counter, { p: data.counts.present, t: data.counts.total });
    $("watchers").textContent = data.watchers.length ? fill(t.watchers, { s: data.watchers.join(", ") }) : "";
    $("end-overtime").disabled = data.counts.time_over === 0;
    $("empty").hidden = data.candidates.length !== 0;
    renderCandidates();
    renderNotes($("session-notes"), data.session_notes);
    var timeline = $("timeline");
    timeline.textContent = "";
    data.timeline.forEach(function (e) {
      var text = e.at + " — " + e.label + (e.candidate ? " — " + e.candidate : "") + (e.actor ? " (" + e.actor + ")" : "");
      timeline.appendChild(el("li", {}, text));
    });
    trackAlerts();
  }

  function visible(c) {
    var q = fold($("search").value);
    if (!q) { return true; }
    var first = fold(c.first_name), last = fold(c.last_name);
    return first.indexOf(q) === 0 || last.indexOf(q) === 0 ||
      (first + " " + last).indexOf(q) === 0 || (last + " " + first).indexOf(q) === 0;
  }

  function renderCandidates() {
    var list = $("candidates");
    var openNotes = {};
    list.querySelectorAll("details.notes-box[open]").forEach(function (d) { openNotes[d.dataset.id] = true; });
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    list.textContent = "";
    state.candidates.filter(visible).forEach(function (c) { list.appendChild(row(c, openNotes[c.id])); });
    if (focused) {
      var again = list.querySelector('[data-key="' + focused + '"]');
      if (again) { again.focus(); }
    }
    tick();
  }

  function button(label, key, cls, aria, onClick) {
    var b = el("button", { type: "button", "data-key": key }, label);
    if (cls) { b.className = cls; }
    if (aria) { b.setAttribute("aria-label", aria); }
    b.addEventListener("click", onClick);
    return b;
  }

  function row(c, notesOpen) {
    var name = c.first_name + " " + c.last_name;
    var li = el("li", { className: "candidate attention-" + c.attention, "data-id": c.id });
    var head = el("div", { className: "candidate-head" });
    head.appendChild(el("h3", {}, c.last_name + " " + c.first_name));
    var tagClass = { alert: "tag ko", companion: "tag ko", started: "tag info", resume_authorized: "tag info", confirmed: "tag ok" }[c.status] || "tag";
    var icon = { alert: "⚠ ", companion: "⚠ ", confirmed: "✓ ", started: "▶ ", completed: "■ ", ended_by_invigilator: "■ ", ended_due_to_finalization: "■ " }[c.status] || "";
    head.appendChild(el("span", { className: tagClass }, icon + c.status_label + (c.ended_by ? " " + fill(t.endedBy, { s: c.ended_by }) : "")));
    if (c.time_over) { head.appendChild(el("span", { className: "tag ko" }, "⏱ " + t.timeOver)); }
    li.appendChild(head);
    var facts = [c.birthdate];
    if (c.complementary) { facts.push(fill(t.enrolled, { s: c.complementary })); }
    li.appendChild(el("p", { className: "small" }, facts.join(" · ")));
    if (c.extra_time_percentage) { li.appendChild(el("span", { className: "tag" }, fill(t.extra, { s: c.extra_time_percentage }))); }
    if (c.started_at) {
      li.appendChild(el("p", {}, fill(t.start, { s: c.started_at }) + " | " + fill(t.end_, { s: c.theoretical_end }) + " (" + c.breakdown + ")"));
      if (c.status !== "completed" && c.status.indexOf("ended") !== 0) {
        var countdown = el("p", { className: "countdown", "data-end": c.theoretical_end_iso });
        li.appendChild(countdown);
        li.appendChild(el("p", { className: "small" }, fill(t.progress, { a: c.answered, t: c.total })));
      }
    }
    var actions = el("div", { className: "actions" });
    if (c.status === "not_confirmed") {
      actions.appendChild(button(t.confirm, "confirm-" + c.id, "primary", fill(t.confirmAria, { n: name }), function () {
        post("/candidates/" + c.id + "/confirm-presence");
      }));
    }
    if (c.status === "confirmed") {
      actions.appendChild(button(t.cancel, "cancel-" + c.id, "", fill(t.cancelAria, { n: name }), function () {
        confirmDialog(fill(t.cancelTitle, { n: name }), t.cancelText, t.cancelYes, function () {
          post("/candidates/" + c.id + "/cancel-presence", {}, fill(t.cancelDone, { n: name }));
        });
      }));
    }
    if (c.companion_alert) {
      actions.appendChild(button(t.companion, "companion-" + c.id, "danger", t.companion + " — " + name, function () {
        confirmDialog(fill(t.companionTitle, { n: name }), t.companionText, t.companionYes, function () {
          post("/alerts/" + c.companion_alert.id + "/companion", {}, t.companionDone);
        });
      }));
    }
    if (c.alert) {
      actions.appendChild(button(t.manage, "manage-" + c.id, "danger", t.manage + " — " + name, function () { openAlert(c); }));
    }
    if (["started", "alert", "resume_authorized", "companion"].indexOf(c.status) !== -1) {
      if (c.status !== "resume_authorized") {
        actions.appendChild(button(t.resume, "resume-" + c.id, "", t.resume + " — " + name, function () {
          confirmDialog(fill(t.resumeTitle, { n: name }), t.resumeText, t.resumeYes, function () {
            post("/candidates/" + c.id + "/authorize-resume", {}, fill(t.resumeDone, { n: name }));
          });
        }));
      }
      actions.appendChild(button(t.end, "end-" + c.id, "danger", t.end + " — " + name, function () {
        confirmDialog(fill(t.endTitle, { n: name }), t.endText, t.end, function () {
          post("/candidates/" + c.id + "/end", {}, fill(t.endDone, { n: name }));
        });
      }));
    }
    li.appendChild(actions);
    var details = el("details", { className: "notes-box", "data-id": c.id });
    if (notesOpen) { details.open = true; }
    details.appendChild(el("summary", {}, fill(t.notes, { c: c.notes.length })));
    var notes = el("ul", { className: "notes" });
    renderNotes(notes, c.notes);
    details.appendChild(notes);
    var form = el("form", { className: "note-form" });
    var areaId = "note-" + c.id;
    form.appendChild(el("label", { "for": areaId }, fill(t.noteLabel, { n: name })));
    var area = el("textarea", { id: areaId, rows: "2", maxlength: "2000", required: "required" });
    form.appendChild(area);
    form.appendChild(el("button", { type: "submit" }, t.addNote));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!area.value.trim()) { return; }
      post("/sessions/" + root.dataset.sessionId + "/notes", { text: area.value, candidate_id: c.id });
    });
    details.appendChild(form);
    li.appendChild(details);
    return li;
  }

  function renderNotes(list, notes) {
    list.textContent = "";
    notes.forEach(function (n) { list.appendChild(el("li", {}, n.at + " — " + n.author + " : " + n.text)); });
  }

  function confirmDialog(title, text, yes, onYes) {
    var dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    var button = $("confirm-yes");
    button.textContent = yes;
    button.onclick = function () { dialog.close(); onYes(); };
    $("confirm-no").onclick = function () { dialog.close(); };
    dialog.showModal();
  }

  function openAlert(c) {
    var dialog = $("alert-dialog");
    $("alert-title").textContent = fill(t.alertTitle, { n: c.first_name + " " + c.last_name });
    $("alert-question").textContent = fill(t.alertQuestion, { q: c.alert.question_number });
    $("alert-error").hidden = true;
    var box = $("alert-reasons");
    box.textContent = "";
    c.alert.reasons.forEach(function (reason, i) {
      var wrap = el("div", { className: "choice" });
      var input = el("input", { type: "radio", name: "reason", id: "reason-" + i, value: reason[0] });
      wrap.appendChild(input);
      wrap.appendChild(el("label", { "for": "reason-" + i }, reason[1]));
      box.appendChild(wrap);
    });
    $("alert-form").onsubmit = function (event) {
      event.preventDefault();
      var chosen = box.querySelector("input:checked");
      if (!chosen) { $("alert-error").textContent = t.chooseReason; $("alert-error").hidden = false; return; }
      dialog.close();
      post("/alerts/" + c.alert.id + "/validate", { reason: chosen.value }, t.validated);
    };
    $("alert-refuse").onclick = function () { dialog.close(); post("/alerts/" + c.alert.id + "/refuse", {}, t.refused); };
    $("alert-close").onclick = function () { dialog.close(); };
    dialog.showModal();
  }

  function trackAlerts() {
    var now = Date.now();
    var current = {};
    state.candidates.forEach(function (c) {
      [c.alert, c.companion_alert].forEach(function (a) {
        if (!a) { return; }
        current[a.id] = true;
        if (!alertSeen[a.id]) {
          alertSeen[a.id] = now;
          announce(fill(t.newAlert, { n: c.first_name + " " + c.last_name, q: a.question_number || "" }));
        }
      });
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

  function tick() {
    var now = Date.now() + clockOffset;
    document.querySelectorAll(".countdown").forEach(function (node) {
      var left = Math.round((new Date(node.dataset.end).getTime() - now) / 1000);
      if (left <= 0) { node.textContent = "⏱ " + t.timeOver; node.classList.add("over"); return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      node.textContent = fill(t.remaining, { s: (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0") });
    });
    // An alert left unanswered for 60 seconds escalates: tab title and optional sound.
    var pending = 0;
    Object.keys(alertSeen).forEach(function (id) {
      if (Date.now() - alertSeen[id] >= 60000) {
        pending += 1;
        if (!escalated[id]) { escalated[id] = true; beep(); }
      }
    });
    var title = state ? fill(t.title, { s: state.session.number }) : document.title;
    document.title = pending ? "(" + pending + ") " + title : title;
  }

  $("search").addEventListener("input", function () { if (state) { renderCandidates(); } });
  $("search-clear").addEventListener("click", function () { $("search").value = ""; $("search").focus(); if (state) { renderCandidates(); } });
  $("end-overtime").addEventListener("click", function () {
    confirmDialog(t.overtimeTitle, fill(t.overtimeText, { c: state.counts.time_over }), t.end, function () {
      Vigie.api(api + "/sessions/" + root.dataset.sessionId + "/end-overtime", { method: "POST", body: {} }).then(function (r) {
        flash(r.ok ? fill(t.overtimeDone, { c: r.body.ended }) : ((r.body && r.body.detail) || t.error), r.ok);
        load();
      });
    });
  });
  $("sound-toggle").addEventListener("click", function () {
    soundOn = !soundOn;
    if (soundOn && !audio) { audio = new (window.AudioContext || window.webkitAudioContext)(); }
    this.setAttribute("aria-pressed", String(soundOn));
    this.textContent = soundOn ? t.soundOn : t.soundOff;
  });
  $("session-note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var area = $("session-note");
    if (!area.value.trim()) { return; }
    post("/sessions/" + root.dataset.sessionId + "/notes", { text: area.value }).then(function (r) { if (r && r.ok) { area.value = ""; } });
  });
  $("leave-open").addEventListener("click", function () { $("leave-dialog").showModal(); });
  $("leave-close").addEventListener("click", function () { $("leave-dialog").close(); });
  setInterval(tick, 1000);

  link = Vigie.live(root.dataset.wsPath, {
    onEvent: function (event) {
      if (event.type === "heartbeat") { return; }
      // An answer changes one number on one row: patch it instead of re-reading the whole
      // session (with 20 candidates, answers are most of the events).
      if (event.op === "answered" && event.status === "started" && patchAnswered(event)) { return; }
      load();
    },
    onDown: function () {
      $("link-status").textContent = t.down;
      $("link-status").className = "small warning";
      if (!poller) { poller = setInterval(load, 5000); }
    },
    onUp: function () {
      $("link-status").textContent = t.live;
      $("link-status").className = "small";
      if (poller) { clearInterval(poller); poller = null; }
      load();
    }
  });
  setInterval(function () { link.send({ type: "heartbeat" }); }, 20000);
  // Pushed events are best effort (a worker restarting drops its sockets' queues): re-read
  // the whole state once a minute anyway, so a patched row can never stay wrong for long.
  setInterval(function () { if (!poller) { load(); } }, 60000);
  load();
})();
