// Forms that follow the person's answers: after a pause in typing, the portal asks Kestra
// which inputs apply now (dependsOn) and with which values (dynamic SELECTs), and the form
// is redrawn keeping what was typed, with the Markdown that reads the answers. A form made
// of FORM groups (a new request's, or an approver's onResume form) becomes a step-by-step
// form (one group per step, Next and Back, a recap before the submit button); without
// script every group shows at once. Also loads file previews in place.
(function () {
  "use strict";
  var DEBOUNCE_MS = 500;
  // Only the newest answer is drawn: an older one that arrives late would undo it.
  var asked = 0;
  var pending = Promise.resolve(false);

  function fieldsetFor(element) {
    return element.closest ? element.closest("[data-validate-url]") : null;
  }

  // The errors of the field being edited, read out when Kestra's answer changes them.
  function errorsOf(fieldset, inputId) {
    var field = inputId && fieldset.querySelector("[data-input='" + inputId + "']");
    var errors = field && field.querySelector(".errors");
    return errors ? labelOf(field) + ": " + errors.textContent.trim() : "";
  }

  function announce(fieldset, message) {
    var status = fieldset.previousElementSibling;
    if (!status || !status.hasAttribute("data-form-status")) {
      status = document.createElement("p");
      status.className = "visually-hidden";
      status.setAttribute("aria-live", "polite");
      status.setAttribute("data-form-status", "");
      fieldset.parentNode.insertBefore(status, fieldset);
    }
    status.textContent = message;
  }

  function refresh(fieldset) {
    var form = fieldset.closest("form");
    var data = new FormData(form);
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      data.delete(input.name);
    });
    var focusedId = document.activeElement && document.activeElement.id;
    var focusedInput = fieldset.contains(document.activeElement) && document.activeElement.closest("[data-input]");
    var inputId = focusedInput && focusedInput.getAttribute("data-input");
    var errorsBefore = errorsOf(fieldset, inputId);
    var touched = fieldset.getAttribute("data-touched") || "";
    var mine = ++asked;
    pending = fetch(fieldset.getAttribute("data-validate-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-CSRFToken": data.get("csrfmiddlewaretoken") || ""}
    }).then(function (response) {
      if (response.status !== 200 || mine !== asked) { return false; }
      return response.text().then(function (html) {
        if (mine !== asked) { return false; }
        var files = {};
        Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=file]"), function (input) {
          files[input.name] = input;
        });
        fieldset.innerHTML = html;
        followAnswers(fieldset);
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
        showStep(fieldset, currentStep(fieldset), false);
        fieldset.dispatchEvent(new CustomEvent("portal:fields", {bubbles: true}));
        var errorsNow = errorsOf(fieldset, inputId);
        if (errorsNow && errorsNow !== errorsBefore) { announce(fieldset, errorsNow); }
        var again = focusedId && document.getElementById(focusedId);
        if (again) { again.focus(); }
        return true;
      });
    }).catch(function () { return false; /* keep the form as it is */ });
  }

  // The OPEN stage's Markdown, drawn again by the portal with the answers so far (its
  // {{ inputs.x }} follow what is typed), comes with the fields: put each in its place.
  function followAnswers(fieldset) {
    var page = fieldset.closest("form") || document;
    Array.prototype.forEach.call(fieldset.querySelectorAll("template[data-block]"), function (fresh) {
      var shown = page.querySelector(".block-markdown[data-block='" + fresh.getAttribute("data-block") + "']");
      if (shown) { shown.replaceWith(fresh.content.cloneNode(true)); }
      fresh.remove();
    });
  }

  // Once the newest answer is in, however many were asked meanwhile: whether it was drawn
  // (not when Kestra could not answer; the submission is checked then).
  function settled() {
    var waiting = pending;
    return waiting.then(function (drawn) { return waiting === pending ? drawn : settled(); });
  }

  function touch(fieldset, fields) {
    var touched = (fieldset.getAttribute("data-touched") || "").split(" ");
    Array.prototype.forEach.call(fields, function (field) {
      var id = field.getAttribute("data-input");
      if (touched.indexOf(id) < 0) { touched.push(id); }
    });
    fieldset.setAttribute("data-touched", touched.join(" ").trim());
  }

  var timer = null;
  function onEdit(event) {
    var fieldset = fieldsetFor(event.target);
    if (!fieldset) { return; }
    var field = event.target.closest("[data-input]");
    if (field) { touch(fieldset, [field]); }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { refresh(fieldset); }, DEBOUNCE_MS);
  }

  // The step-by-step form. Steps are the fieldset's [data-step] children (a FORM group, or
  // the inputs between groups); the step shown is kept on the fieldset, which survives the
  // redraws. Step number `steps.length` is the recap.
  function steps(fieldset) {
    return Array.prototype.filter.call(fieldset.children, function (child) {
      return child.hasAttribute("data-step");
    });
  }

  function isWizard(fieldset) {
    return steps(fieldset).some(function (step) { return step.tagName === "FIELDSET"; });
  }

  function currentStep(fieldset) { return parseInt(fieldset.getAttribute("data-wizard-step") || "0", 10); }

  function stepTitle(step) {
    var legend = step.querySelector("legend");
    return step.tagName === "FIELDSET" && legend ? legend.textContent.trim() : gettext("Other details");
  }

  function labelOf(field) {
    var label = field.querySelector("label, legend");
    return label ? label.textContent.replace(/\s*\*\s*$/, "").trim() : field.getAttribute("data-input");
  }

  function answerOf(field) {
    var named = field.querySelector("[name]:not([type=hidden])");
    if (!named) { return ""; }
    if (field.classList.contains("field-toggle")) { return named.checked ? gettext("Yes") : gettext("No"); }
    if (named.tagName === "SELECT") {
      return Array.prototype.filter.call(named.options, function (o) { return o.selected && o.value; })
        .map(function (o) { return o.textContent; }).join(", ");
    }
    if (named.type === "radio" || named.type === "checkbox") {
      var chosen = Array.prototype.filter.call(field.querySelectorAll("input:checked"), function (i) { return i.name === named.name; })
        .map(function (i) { return i.parentNode.textContent.trim(); });
      var other = field.querySelector(".other input");
      if (other && other.value.trim()) { chosen.push(other.value.trim()); }
      return chosen.join(", ");
    }
    if (named.type === "file") {
      return Array.prototype.map.call(named.files, function (f) { return f.name; }).join(", ");
    }
    if (named.type === "password") { return named.value ? "••••••" : ""; }
    if (field.classList.contains("field-table") && named.value.trim()) {
      try {
        return JSON.parse(named.value).map(function (row) {
          return Object.keys(row).map(function (key) { return row[key]; }).join(", ");
        }).join("; ");
      } catch (e) { return named.value; }
    }
    return named.value;
  }

  function fillRecap(fieldset, recap) {
    var list = recap.querySelector(".wizard-answers");
    list.textContent = "";
    steps(fieldset).forEach(function (step, index) {
      var section = document.createElement("section");
      var title = document.createElement("h3");
      title.textContent = stepTitle(step);
      var change = document.createElement("button");
      change.type = "button";
      change.className = "btn btn-default btn-size-small";
      change.setAttribute("data-wizard-goto", index);
      change.setAttribute("aria-label", interpolate(gettext("Change %s"), [stepTitle(step)]));
      change.textContent = pgettext("edit an answer", "Change");
      var answers = document.createElement("dl");
      Array.prototype.forEach.call(step.querySelectorAll("[data-input]"), function (field) {
        var dt = document.createElement("dt");
        dt.textContent = labelOf(field);
        var dd = document.createElement("dd");
        dd.textContent = answerOf(field) || gettext("Not given");
        answers.appendChild(dt);
        answers.appendChild(dd);
      });
      section.appendChild(title);
      section.appendChild(answers);
      section.appendChild(change);
      list.appendChild(section);
    });
  }

  function navOf(fieldset) {
    var nav = fieldset.nextElementSibling;
    return nav && nav.hasAttribute("data-wizard-nav") ? nav : null;
  }

  function buildNav(fieldset) {
    var nav = document.createElement("div");
    nav.className = "wizard-nav";
    nav.setAttribute("data-wizard-nav", "");
    nav.innerHTML = '<section class="wizard-recap" hidden aria-labelledby="wizard-recap-title">' +
      '<h2 id="wizard-recap-title" tabindex="-1">' + gettext("Check your answers") + '</h2><div class="wizard-answers"></div></section>' +
      '<p class="wizard-progress" aria-live="polite"></p>' +
      '<div class="wizard-buttons"><button type="button" class="btn btn-default" data-wizard="back">' + pgettext("wizard", "Back") + '</button>' +
      '<button type="button" class="btn btn-primary" data-wizard="next">' + pgettext("wizard", "Next") + '</button></div>';
    fieldset.parentNode.insertBefore(nav, fieldset.nextSibling);
    return nav;
  }

  function showStep(fieldset, index, moveFocus) {
    var nav = navOf(fieldset);
    if (!nav) { return; }
    var all = steps(fieldset);
    index = Math.max(0, Math.min(index, all.length));
    fieldset.setAttribute("data-wizard-step", String(index));
    var atRecap = index === all.length;
    all.forEach(function (step, i) { step.hidden = i !== index; });
    var recap = nav.querySelector(".wizard-recap");
    recap.hidden = !atRecap;
    if (atRecap) { fillRecap(fieldset, recap); }
    // The form's own submit button; others (Reject, Hand over) go elsewhere and stay.
    Array.prototype.forEach.call(fieldset.form.querySelectorAll("[type=submit]:not([formaction])"), function (button) {
      button.hidden = !atRecap;
    });
    nav.querySelector("[data-wizard=back]").hidden = index === 0;
    var next = nav.querySelector("[data-wizard=next]");
    next.hidden = atRecap;
    next.textContent = index === all.length - 1 ? gettext("Review") : pgettext("wizard", "Next");
    nav.querySelector(".wizard-progress").textContent = atRecap
      ? interpolate(ngettext("All %s step done: check your answers, then submit.",
        "All %s steps done: check your answers, then submit.", all.length), [all.length])
      : interpolate(gettext("Step %(step)s of %(steps)s: %(title)s"),
        {step: index + 1, steps: all.length, title: stepTitle(all[index])}, true);
    if (!moveFocus) { return; }
    var target = atRecap ? recap.querySelector("h2")
      : firstFocusable(all[index]);
    if (target) { target.focus(); }
  }

  function firstFocusable(root) {
    return Array.prototype.find.call(root.querySelectorAll("input, select, textarea, button"), function (el) {
      return el.type !== "hidden" && !el.closest("[hidden]");
    });
  }

  function goNext(fieldset) {
    var index = currentStep(fieldset);
    touch(fieldset, steps(fieldset)[index].querySelectorAll("[data-input]"));
    // A form Kestra cannot check step by step (an approver's) is checked when it is sent.
    if (!fieldset.hasAttribute("data-validate-url")) { showStep(fieldset, index + 1, true); return; }
    window.clearTimeout(timer);
    refresh(fieldset);
    settled().then(function (drawn) {
      // Errors drawn before this answer are about older values: only a fresh answer holds one back.
      var errors = drawn && steps(fieldset)[index].querySelector(".errors");
      if (!errors) { showStep(fieldset, index + 1, true); return; }
      var field = firstFocusable(errors.closest("[data-input]"));
      navOf(fieldset).querySelector(".wizard-progress").textContent =
        interpolate(gettext("Step %(step)s has errors: %(errors)s"),
          {step: index + 1, errors: errors.textContent.trim()}, true);
      if (field) { field.focus(); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-wizard], [data-wizard-goto]");
    var nav = button && button.closest("[data-wizard-nav]");
    if (!nav) { return; }
    var fieldset = nav.previousElementSibling;
    var action = button.getAttribute("data-wizard");
    if (action === "next") { goNext(fieldset); }
    else if (action === "back") { showStep(fieldset, currentStep(fieldset) - 1, true); }
    else { showStep(fieldset, parseInt(button.getAttribute("data-wizard-goto"), 10), true); }
  });

  // Enter in a field moves on a step; only the recap's button sends the form.
  document.addEventListener("submit", function (event) {
    var fieldset = event.target.querySelector("[data-fields]");
    if (event.submitter && event.submitter.hasAttribute("formaction")) { return; }
    if (!fieldset || !navOf(fieldset) || currentStep(fieldset) === steps(fieldset).length) { return; }
    event.preventDefault();
    goNext(fieldset);
  });

  // Each form of groups not yet step-by-step: on load, and when an execution page's live
  // part is drawn again (live.js), which brings a fresh form.
  function setUpWizards() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-fields]"), function (fieldset) {
      if (!isWizard(fieldset) || navOf(fieldset)) { return; }
      buildNav(fieldset);
      // After a refused submission, open on the first step that has an error.
      var first = steps(fieldset).findIndex(function (step) { return step.querySelector(".errors"); });
      showStep(fieldset, Math.max(first, 0), false);
    });
  }
  setUpWizards();
  document.addEventListener("portal:fields", setUpWizards);
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
  button.textContent = shown ? pgettext("password", "Hide") : pgettext("password", "Show");
  button.setAttribute("aria-pressed", shown ? "true" : "false");
});
