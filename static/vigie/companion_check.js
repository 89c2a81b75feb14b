/* Issue 16: before the test, the instructions and start pages check the companion extension
   as the test page does (a ping, its content script's pong; extension/README.md) and tell the
   readiness board whether it is there: detected at the first pong, not detected after three
   pings without one. Sent once per page; the server writes only a change. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var node = document.getElementById("companion-check");
  if (!node || !window.Vigie) { return; }
  var nonce = null, tries = 0, done = false;
  function report(detected) {
    if (done) { return; }
    done = true;
    Vigie.api(node.dataset.url, { method: "POST", body: { detected: detected }, retries: 2 }).then(function () {}, function () {});
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window || !data || data.source !== "vigie-companion") { return; }
    if (data.type === "companion:pong" && data.nonce === nonce) { report(true); }
  });
  function ping() {
    if (done) { return; }
    if (tries >= 3) { report(false); return; }
    tries += 1;
    nonce = Math.random().toString(36).slice(2);
    window.postMessage({ source: "vigie-page", type: "companion:ping", nonce: nonce }, location.origin);
    setTimeout(ping, 1000);
  }
  ping();
});
