/* Vigie Companion: answers the Vigie test page's pings so it knows the extension is active.
   Protocol (extension/README.md): page → {source: "vigie-page", type: "companion:ping",
   nonce}; extension → {source: "vigie-companion", type: "companion:pong", nonce, version}.
   Nothing else is read or sent: no page content, no network, no storage. */
(function () {
  "use strict";
  var api = typeof browser !== "undefined" ? browser : chrome;
  var version = api.runtime.getManifest().version;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window || !data || data.source !== "vigie-page") { return; }
    if (data.type !== "companion:ping" || typeof data.nonce !== "string") { return; }
    window.postMessage(
      { source: "vigie-companion", type: "companion:pong", nonce: data.nonce, version: version },
      window.location.origin
    );
  });
})();
