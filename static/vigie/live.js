/* Vigie live link: a WebSocket pushing events, with polling while it is down.
   Pages call Vigie.live(path, handlers) and Vigie.api(url, options). */
(function () {
  "use strict";
  var Vigie = (window.Vigie = window.Vigie || {});

  function cookie(name) {
    var match = document.cookie.match("(^|;)\\s*" + name + "=([^;]*)");
    return match ? decodeURIComponent(match[2]) : "";
  }

  /* fetch + JSON + CSRF; resolves {ok, status, body}; rejects only on network failure. */
  Vigie.api = function (url, options) {
    options = options || {};
    var headers = Object.assign(
      { "Accept": "application/json", "X-CSRFToken": cookie("csrftoken") },
      options.headers || {}
    );
    var init = { method: options.method || "GET", headers: headers, credentials: "same-origin" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  };

  /* Opens the push link. handlers: onEvent(event), onDown(), onUp(). Polling is the
     caller's job between onDown and onUp; onUp is also the moment to resynchronize. */
  Vigie.live = function (path, handlers) {
    var socket = null, delay = 500, connected = false, stopped = false;
    function open() {
      if (stopped) { return; }
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () {
        delay = 500;
        connected = true;
        if (handlers.onUp) { handlers.onUp(); }
      };
      socket.onmessage = function (message) {
        var event = null;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        if (handlers.onEvent) { handlers.onEvent(event); }
      };
      socket.onclose = function () {
        if (connected || delay === 500) {
          if (handlers.onDown) { handlers.onDown(); }
        }
        connected = false;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    open();
    return {
      stop: function () { stopped = true; if (socket) { socket.close(); } },
      send: function (data) {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(data)); }
      }
    };
  };
})();
