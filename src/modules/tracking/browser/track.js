/* Neptuno tracking: cookieless page views, clicks and time on page (docs/tracking.md). No dependencies. */
(function (w, d, n) {
  var s = d.currentScript;
  if (!s || w.neptunoTrack) return;
  var api = s.src.replace(/\/v1\/public\/tracking\/script[./].*$/, '/v1/tracking/events');
  var beat = (+s.getAttribute('data-heartbeat') || __HEARTBEAT__) * 1000;
  var q = [], url = location.href, shown = d.visibilityState === 'visible' ? Date.now() : 0, seen = 0, timer;

  function add(type, extra) {
    var e = { type: type, url: url }, k;
    for (k in extra || {}) e[k] = extra[k];
    q.push(e);
    if (q.length >= 20) send();
  }
  function send(beacon) {
    while (q.length) {
      var body = JSON.stringify({ events: q.splice(0, 20) });
      if (!(beacon && n.sendBeacon && n.sendBeacon(api, body))) {
        if (w.fetch) fetch(api, { method: 'POST', body: body, keepalive: true, credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' } })['catch'](function () {});
      }
    }
  }
  // Visible time since the last report of this page.
  function engaged(final) {
    var now = Date.now(), ms = seen + (shown ? now - shown : 0);
    seen = 0;
    if (shown) shown = now;
    if (ms > 0) add('engagement', { duration: Math.min(ms, 1800000) });
    if (final) send(true);
  }
  function view() {
    add('pageview', { referrer: d.referrer || undefined });
    send();
  }
  function props(el) {
    var p = {}, a = el.attributes, i, c = 0;
    for (i = 0; i < a.length && c < 20; i++) {
      if (a[i].name.indexOf('data-track-') === 0) { p[a[i].name.slice(11)] = a[i].value.slice(0, 200); c++; }
    }
    return c ? p : undefined;
  }

  d.addEventListener('click', function (e) {
    var el = e.target && e.target.closest && e.target.closest('[data-track],a[href]');
    if (!el) return;
    var name = el.getAttribute('data-track');
    if (name) add('click', { name: name.slice(0, 100), props: props(el) });
    else if (el.host && el.host !== location.host && /^https?:/.test(el.href)) add('click', { name: 'outbound', props: { url: el.href.slice(0, 200) } });
    else return;
    send(true); // the click may leave the page: a beacon survives the unload
  }, true);

  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'hidden') {
      if (shown) seen += Date.now() - shown;
      shown = 0;
      engaged(true);
    } else shown = Date.now();
  });
  w.addEventListener('pagehide', function () { engaged(true); });
  timer = setInterval(function () {
    if (shown) { engaged(false); send(); }
  }, beat);

  // Single-page apps: a new URL is a new page view; the old page's time is reported first.
  function moved() {
    if (location.href === url) return;
    engaged(false);
    url = location.href;
    view();
  }
  var push = history.pushState;
  history.pushState = function () { push.apply(this, arguments); moved(); };
  w.addEventListener('popstate', moved);

  /** neptunoTrack('signup_started', { plan: 'pro' }): a custom event. */
  w.neptunoTrack = function (name, p) { add('custom', { name: String(name).slice(0, 100), props: p }); send(); };
  view();
  void timer;
})(window, document, navigator);
