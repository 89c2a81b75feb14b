/* The access-code screen: starts or resumes the test, and unlocks itself as soon as the
   invigilator confirms the candidate's presence (push, with polling as a fallback). */
(function () {
  "use strict";
  var root = document.getElementById("starter");
  var form = document.getElementById("start-form");
  if (!root || !form) { return; }
  var errorBox = document.getElementById("start-error");
  var statusBox = document.getElementById("start-status");
  var input = document.getElementById("access_code");
  var waitingForInvigilator = false;

  function showError(message) {
    statusBox.hidden = true;
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function unlocked() {
    if (!waitingForInvigilator) { return; }
    waitingForInvigilator = false;
    errorBox.hidden = true;
    statusBox.textContent = root.dataset.unlockedMessage;
    statusBox.hidden = false;
    input.focus();
  }

  function checkAuthorization() {
    Vigie.api(root.dataset.statusUrl).then(function (r) {
      if (r.ok && r.body && r.body.authorized) { unlocked(); }
    }, function () {});
  }

  input.addEventListener("input", function () {
    input.value = input.value.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 6);
  });

  /* A saturated server refuses a start for a few seconds (503, code « busy »,
     vigie/admission.py): the page says so and sends it again by itself, after the
     Retry-After plus up to as much again at random, so that candidates refused together
     come back spread out; as many times as it takes. */
  function waitForRoom(r) {
    errorBox.hidden = true;
    statusBox.textContent = r.body.detail;
    statusBox.hidden = false;
    var ms = r.retryAfter * 1000 * (1 + Math.random());
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /* Each try says how long the page has been trying: past ADMISSION_MAX_WAIT the server
     admits it whatever the load, so nobody waits long. */
  function start(code, since) {
    since = since || Date.now();
    var waited = String(Math.floor((Date.now() - since) / 1000));
    return Vigie.api(root.dataset.startUrl, {
      method: "POST", body: { access_code: code }, headers: { "X-Start-Waited": waited }
    }).then(function (r) {
      if (r.status === 503 && r.body && r.body.code === "busy") {
        return waitForRoom(r).then(function () { return start(code, since); });
      }
      return r;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    start(input.value)
      .then(function (r) {
        button.disabled = false;
        if (r.ok) {
          sessionStorage.setItem("vigie-run-" + r.body.course_id, r.body.run_token);
          // The test page shows this state at once instead of reading it (issue 17).
          sessionStorage.setItem("vigie-state-" + r.body.course_id, JSON.stringify({ state: r.body.state, at: Date.now() }));
          location.assign(root.dataset.testUrlTemplate.replace("/0/", "/" + r.body.course_id + "/"));
          return;
        }
        var code = r.body && r.body.code;
        waitingForInvigilator = code === "not_authorized_to_start" || code === "not_authorized_to_resume";
        showError((r.body && r.body.detail) || root.dataset.genericError);
      }, function () {
        button.disabled = false;
        showError(root.dataset.networkError);
      });
  });

  Vigie.follow(root.dataset.wsPath, {
    onEvent: function (event) { if (event.op === "authorized") { unlocked(); } },
    refresh: checkAuthorization,
    every: 3000
  });
})();
