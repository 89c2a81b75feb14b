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

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    Vigie.api(root.dataset.startUrl, { method: "POST", body: { access_code: input.value } })
      .then(function (r) {
        button.disabled = false;
        if (r.ok) {
          sessionStorage.setItem("vigie-run-" + r.body.course_id, r.body.run_token);
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
