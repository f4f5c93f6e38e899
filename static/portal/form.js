// Forms that follow the person's answers: after a pause in typing, the portal asks Kestra
// which inputs apply now (dependsOn) and with which values (dynamic SELECTs), and the form
// is redrawn keeping what was typed. Also loads file previews in place.
(function () {
  "use strict";
  var DEBOUNCE_MS = 500;

  function fieldsetFor(element) {
    return element.closest ? element.closest("[data-validate-url]") : null;
  }

  function refresh(fieldset) {
    var form = fieldset.closest("form");
    var data = new FormData(form);
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      data.delete(input.name);
    });
    var focusedId = document.activeElement && document.activeElement.id;
    var touched = fieldset.getAttribute("data-touched") || "";
    fetch(fieldset.getAttribute("data-validate-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-CSRFToken": data.get("csrfmiddlewaretoken") || ""}
    }).then(function (response) {
      if (response.status !== 200) { return; }
      return response.text().then(function (html) {
        var files = {};
        Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=file]"), function (input) {
          files[input.name] = input;
        });
        fieldset.innerHTML = html;
        // File choices cannot be set from script: put the chosen inputs back.
        Object.keys(files).forEach(function (name) {
          var fresh = fieldset.querySelector("input[type=file][name='" + name + "']");
          if (fresh) { fresh.parentNode.replaceChild(files[name], fresh); }
        });
        // Errors only for the fields the person has already answered.
        Array.prototype.forEach.call(fieldset.querySelectorAll("[data-input]"), function (field) {
          if (touched.split(" ").indexOf(field.getAttribute("data-input")) < 0) {
            var errors = field.querySelector(".errors");
            if (errors) { errors.remove(); }
          }
        });
        fieldset.dispatchEvent(new CustomEvent("portal:fields", {bubbles: true}));
        var again = focusedId && document.getElementById(focusedId);
        if (again) { again.focus(); }
      });
    }).catch(function () { /* keep the form as it is */ });
  }

  var timer = null;
  function onEdit(event) {
    var fieldset = fieldsetFor(event.target);
    if (!fieldset) { return; }
    var field = event.target.closest("[data-input]");
    if (field) {
      var touched = (fieldset.getAttribute("data-touched") || "").split(" ");
      var id = field.getAttribute("data-input");
      if (touched.indexOf(id) < 0) { touched.push(id); }
      fieldset.setAttribute("data-touched", touched.join(" ").trim());
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { refresh(fieldset); }, DEBOUNCE_MS);
  }
  document.addEventListener("change", onEdit);
  document.addEventListener("input", onEdit);

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-preview]");
    if (!link) { return; }
    var slot = link.parentNode.querySelector(".preview-slot");
    if (!slot) { return; }
    event.preventDefault();
    if (!slot.hidden) { slot.hidden = true; return; }
    fetch(link.getAttribute("href") + "&partial=1", {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { slot.innerHTML = html || "<p class='muted'>No preview.</p>"; slot.hidden = false; });
  });
})();

// "Show" next to a secret field: the person can check what they typed.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-reveal]");
  if (!button) { return; }
  var input = document.getElementById(button.getAttribute("data-reveal"));
  if (!input) { return; }
  var shown = input.type === "password";
  input.type = shown ? "text" : "password";
  button.textContent = shown ? "Hide" : "Show";
  button.setAttribute("aria-pressed", shown ? "true" : "false");
});
