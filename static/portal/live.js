// Keeps an execution page current until the execution reaches a final stage: the portal
// sends the page's live part as server-sent events each time it changes (data-stream-url,
// only where the portal streams); where it does not, or the stream is refused or breaks,
// the page asks for the live part every data-interval milliseconds (LIVE_POLL_SECONDS)
// instead. Either way the new part is swapped in, and what the person has typed or chosen
// there and not sent yet (a comment on a vote, say) is carried over into it.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var url = live.getAttribute("data-live-url");
  var streamUrl = live.getAttribute("data-stream-url");
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

  // The fields the person changed: [name, value (checkboxes and radios), what they hold].
  function edits() {
    var kept = [];
    Array.prototype.forEach.call(live.querySelectorAll("input[name], textarea[name], select[name]"), function (field) {
      if (field.type === "file" || field.type === "hidden") { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) { kept.push([field.name, field.value, field.checked]); }
      } else if (field.tagName === "SELECT") {
        var options = Array.prototype.slice.call(field.options);
        if (options.some(function (o) { return o.selected !== o.defaultSelected; })) {
          kept.push([field.name, null, options.filter(function (o) { return o.selected; }).map(function (o) { return o.value; })]);
        }
      } else if (field.value !== field.defaultValue) {
        kept.push([field.name, null, field.value]);
      }
    });
    return kept;
  }

  function restore(kept) {
    var fields = live.querySelectorAll("input[name], textarea[name], select[name]");
    kept.forEach(function (edit) {
      Array.prototype.forEach.call(fields, function (field) {
        if (field.name !== edit[0] || field.type === "file" || field.type === "hidden") { return; }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === edit[1]) { field.checked = edit[2]; }
        } else if (field.tagName === "SELECT") {
          Array.prototype.forEach.call(field.options, function (o) { o.selected = edit[2].indexOf(o.value) >= 0; });
        } else {
          field.value = edit[2];
        }
      });
    });
  }

  function show(html, newVersion, final) {
    version = newVersion || version;
    var kept = edits();
    live.innerHTML = html;
    restore(kept);
    live.dispatchEvent(new CustomEvent("portal:fields", {bubbles: true}));
    live.setAttribute("data-final", final ? "1" : "0");
    armRedirect();
  }

  function tick() {
    if (typing()) { window.setTimeout(tick, INTERVAL_MS); return; }
    fetch(url + "?v=" + encodeURIComponent(version), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        var final = response.headers.get("X-Live-Final") === "1";
        if (response.status === 200) {
          return response.text().then(function (html) {
            show(html, response.headers.get("X-Live-Version"), final);
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

  function poll() {
    live.setAttribute("data-updates", "poll");
    window.setTimeout(tick, INTERVAL_MS);
  }

  // The newest event waits while the person types in the live part, as a poll would.
  var pending = null;
  function showWhenFree() {
    if (!pending) { return; }
    if (typing()) { window.setTimeout(showWhenFree, INTERVAL_MS); return; }
    var data = pending;
    pending = null;
    show(data.html, data.version, data.final);
  }

  var source = null;
  function stream() {
    live.setAttribute("data-updates", "stream");
    source = new EventSource(streamUrl + "?v=" + encodeURIComponent(version));
    source.addEventListener("live", function (event) {
      var waiting = pending !== null;
      pending = JSON.parse(event.data);
      if (pending.final) { source.close(); }
      if (!waiting) { showWhenFree(); }
    });
    // The stream's time is up: a new one, from the version shown now.
    source.addEventListener("reopen", function () { source.close(); stream(); });
    // Refused (too many open streams, not streamed here) or broken: ask instead.
    source.addEventListener("error", function () {
      source.close();
      if (live.getAttribute("data-final") !== "1" && !(pending && pending.final)) { poll(); }
    });
  }

  // A browser opens few connections to one site over HTTP/1.1 (six in Chromium), and each
  // stream holds one: a hidden tab gives its stream up and opens a new one when shown again.
  document.addEventListener("visibilitychange", function () {
    if (!source || live.getAttribute("data-updates") !== "stream") { return; }
    if (document.hidden) {
      source.close();
    } else if (source.readyState === EventSource.CLOSED && live.getAttribute("data-final") !== "1") {
      stream();
    }
  });

  armRedirect();
  if (live.getAttribute("data-final") !== "1") {
    if (streamUrl && window.EventSource) { stream(); } else { poll(); }
  }
})();
