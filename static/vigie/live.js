/* Vigie live link: a WebSocket pushing events, with polling while it is down, and the
   countdowns. The one JS module every live page shares: Vigie.follow(path, options) (the
   socket and its polling fallback), Vigie.live(path, handlers) (the socket alone),
   Vigie.api(url, options) and Vigie.countdowns(root, strings, serverTime). */
(function () {
  "use strict";
  var Vigie = (window.Vigie = window.Vigie || {});

  function cookie(name) {
    var match = document.cookie.match("(^|;)\\s*" + name + "=([^;]*)");
    return match ? decodeURIComponent(match[2]) : "";
  }

  /* fetch + JSON + CSRF; resolves {ok, status, body, retryAfter}; rejects only on network
     failure. A 503 (the database cannot be reached for a moment: vigie/errors.py) is sent
     again after its Retry-After, up to options.retries times (default 6, about 30 s),
     before it is resolved: the request did nothing, or is recognised as the same when sent
     again. A 503 with code « busy » (a start refused by a saturated worker:
     vigie/admission.py) is resolved at once: the page says why it waits (start.js). */
  Vigie.api = function (url, options) {
    options = options || {};
    var retries = options.retries === undefined ? 6 : options.retries;
    var headers = Object.assign(
      { "Accept": "application/json", "X-CSRFToken": cookie("csrftoken") },
      options.headers || {}
    );
    var init = { method: options.method || "GET", headers: headers, credentials: "same-origin" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    function attempt(left) {
      return fetch(url, init).then(function (response) {
        return response.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          var after = Number(response.headers.get("Retry-After")) || 2;
          var busy = body !== null && body.code === "busy";
          if (response.status === 503 && left > 0 && !busy) {
            return wait(jitter(Math.min(after, 10) * 1000)).then(function () { return attempt(left - 1); });
          }
          return { ok: response.ok, status: response.status, body: body, retryAfter: after };
        });
      });
    }
    return attempt(retries);
  };

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
  /* Between 0.75 and 1.25 times ms: pages that lost their link together do not all come
     back in the same instant. */
  function jitter(ms) { return Math.round(ms * (0.75 + Math.random() / 2)); }

  /* The server's close code for « Redis or the database is down, come back later »
     (live/base.py). */
  var UNAVAILABLE = 4503;
  /* Opened this long without being closed, the link counts as up (the server refuses a
     handshake by accepting it and closing it at once with a code). */
  var SETTLE_MS = 300;

  /* Opens the push link. handlers: onEvent(event), onDown(), onUp(). Polling is the
     caller's job between onDown and onUp; onUp is also the moment to resynchronize.
     The link is tried again after a drop with a growing delay (0.5 s to 10 s); after a
     4503 the next tries wait 15 s, 30 s, then a minute: 2,000 pages must not hammer a
     server whose Redis is down, and they poll meanwhile. */
  Vigie.live = function (path, handlers) {
    var socket = null, delay = 500, down = false, stopped = false, settle = null;
    function open() {
      if (stopped) { return; }
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () {
        settle = setTimeout(function () {
          settle = null;
          delay = 500;
          down = false;
          if (handlers.onUp) { handlers.onUp(); }
        }, SETTLE_MS);
      };
      socket.onmessage = function (message) {
        var event = null;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        if (handlers.onEvent) { handlers.onEvent(event); }
      };
      socket.onclose = function (event) {
        if (settle) { clearTimeout(settle); settle = null; }
        if (!down && handlers.onDown) { handlers.onDown(); }
        down = true;
        if (event.code === UNAVAILABLE) { delay = Math.max(delay, 15000); }
        setTimeout(open, jitter(delay));
        delay = Math.min(delay * 2, event.code === UNAVAILABLE ? 60000 : 10000);
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

  /* The socket, and polling while it is down: refresh() is called every options.every ms
     (default 5 s) between a drop and the link's return, and once when it comes back (to
     resynchronize). options: onEvent(event), refresh(), every, onDown(), onUp(). */
  Vigie.follow = function (path, options) {
    var poller = null;
    return Vigie.live(path, {
      onEvent: options.onEvent,
      onDown: function () {
        if (options.onDown) { options.onDown(); }
        if (!poller) { poller = setInterval(options.refresh, options.every || 5000); }
      },
      onUp: function () {
        if (poller) { clearInterval(poller); poller = null; }
        if (options.onUp) { options.onUp(); }
        options.refresh();
      }
    });
  };

  /* Every second, each `.countdown[data-end]` under root shows the time left until its
     ISO end, by the server's clock (serverTime: the ISO time the page was rendered at).
     strings: remaining (« … {left} »), over. At zero, the node's `.countdown-over` (an icon)
     shows and the node gets the class `over`. */
  Vigie.countdowns = function (root, strings, serverTime) {
    var offset = serverTime ? new Date(serverTime).getTime() - Date.now() : 0;
    function two(n) { return String(n).padStart(2, "0"); }
    function tick() {
      var now = Date.now() + offset;
      root.querySelectorAll(".countdown[data-end]").forEach(function (node) {
        var text = node.querySelector(".countdown-text") || node;
        var icon = node.querySelector(".countdown-over");
        var left = Math.round((new Date(node.dataset.end).getTime() - now) / 1000);
        var over = left <= 0;
        node.classList.toggle("over", over);
        if (icon) { icon.hidden = !over; }
        if (over) { text.textContent = strings.over; return; }
        var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
        text.textContent = strings.remaining.replace("{left}", (h ? h + ":" : "") + two(m) + ":" + two(s));
      });
    }
    tick();
    setInterval(tick, 1000);
    return tick;
  };
})();
