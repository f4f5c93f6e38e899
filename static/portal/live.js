// Keeps an execution page current: asks the portal for the page's live part every
// data-interval milliseconds (LIVE_POLL_SECONDS) and swaps it in when it changed, until the
// execution reaches a final stage.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var url = live.getAttribute("data-live-url");
  var version = live.getAttribute("data-version");
  var redirectTimer = null;
  var INTERVAL_MS = parseInt(live.getAttribute("data-interval"), 10) || 1000;

  function seconds(duration) {
    var m = /^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration || "");
    if (!m) { return 0; }
    return (parseFloat(m[1] || 0) * 3600) + (parseFloat(m[2] || 0) * 60) + parseFloat(m[3] || 0);
  }

  function armRedirect() {
    var target = live.querySelector("[data-redirect-url]");
    if (redirectTimer || !target) { return; }
    var delay = seconds(target.getAttribute("data-redirect-delay")) * 1000;
    redirectTimer = window.setTimeout(function () {
      window.location.assign(target.getAttribute("data-redirect-url"));
    }, delay);
  }

  function typing() {
    var active = document.activeElement;
    return active && live.contains(active) && /INPUT|SELECT|TEXTAREA/.test(active.tagName);
  }

  function tick() {
    if (typing()) { window.setTimeout(tick, INTERVAL_MS); return; }
    fetch(url + "?v=" + encodeURIComponent(version), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        var final = response.headers.get("X-Live-Final") === "1";
        if (response.status === 200) {
          return response.text().then(function (html) {
            version = response.headers.get("X-Live-Version") || version;
            live.innerHTML = html;
            live.setAttribute("data-final", final ? "1" : "0");
            armRedirect();
            return final;
          });
        }
        return final;
      })
      .catch(function () { return false; })
      .then(function (final) {
        if (!final) { window.setTimeout(tick, INTERVAL_MS); }
      });
  }

  armRedirect();
  if (live.getAttribute("data-final") !== "1") { window.setTimeout(tick, INTERVAL_MS); }
})();
