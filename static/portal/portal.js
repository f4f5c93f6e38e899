// On every page: the language switcher sends itself when a language is chosen, and dates are
// shown in the page's language (<html lang>) and the browser's time zone. The server writes
// each date as <time datetime="ISO 8601">: one marked data-local shows it as its text; any
// other (a "3 hours" left, say) keeps its text and gets the full date as its tooltip.
(function () {
  "use strict";
  var language = document.documentElement.lang || undefined;
  var full = new Intl.DateTimeFormat(language, {dateStyle: "medium", timeStyle: "short"});

  function localTimes(root) {
    Array.prototype.forEach.call(root.querySelectorAll("time[datetime]"), function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      if (node.hasAttribute("data-local")) { node.textContent = full.format(when); }
      else { node.title = full.format(when); }
    });
  }

  var switcher = document.querySelector(".language-switcher");
  if (switcher) {
    switcher.querySelector("button").hidden = true;
    switcher.querySelector("select").addEventListener("change", function () { switcher.submit(); });
  }
  localTimes(document);
  // Parts of the page drawn anew (live.js, form.js) carry dates of their own.
  document.addEventListener("portal:fields", function (event) { localTimes(event.target); });
})();
