// Editors for the inputs a text box serves badly. Each one edits the field Kestra reads
// (the named text box or text area, which works on its own without this script) and keeps
// it in step, so the form submits and validates as before. They are set up when the page
// loads and again whenever a form's fields are drawn anew ("portal:fields", sent by form.js
// and live.js).
(function () {
  "use strict";

  // DURATION: days, hours, minutes and seconds boxes that write P1DT2H30M into the text box.
  var DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i;
  var UNITS = ["D", "H", "M", "S"];

  function durationParts(group) {
    var parts = {};
    Array.prototype.forEach.call(group.querySelectorAll("[data-unit]"), function (input) {
      parts[input.getAttribute("data-unit")] = input;
    });
    return parts;
  }

  function showDuration(group, text) {
    var parts = durationParts(group);
    var match = DURATION.exec(text.trim());
    UNITS.forEach(function (unit, index) {
      parts[unit].value = match ? (match[index + 1] || "") : "";
    });
  }

  function composeDuration(group) {
    var parts = durationParts(group);
    var amounts = {};
    UNITS.forEach(function (unit) { amounts[unit] = parts[unit].value.trim(); });
    if (UNITS.every(function (unit) { return amounts[unit] === ""; })) { return ""; }
    var time = ["H", "M", "S"].filter(function (unit) { return amounts[unit] && +amounts[unit] !== 0; })
      .map(function (unit) { return +amounts[unit] + unit; }).join("");
    var days = amounts.D && +amounts.D !== 0 ? +amounts.D + "D" : "";
    if (!days && !time) { return "PT0S"; }
    return "P" + days + (time ? "T" + time : "");
  }

  function setUpDuration(group) {
    var text = document.getElementById(group.getAttribute("data-duration-for"));
    if (!text) { return; }
    showDuration(group, text.value);
    group.hidden = false;
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    var group = target.closest && target.closest("[data-duration-for]");
    if (group) {
      document.getElementById(group.getAttribute("data-duration-for")).value = composeDuration(group);
      return;
    }
    var parts = target.id && document.querySelector("[data-duration-for='" + target.id + "']");
    if (parts) { showDuration(parts, target.value); }
  });

  function setUp(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-duration-for]"), setUpDuration);
  }

  document.addEventListener("portal:fields", function (event) { setUp(event.target); });
  setUp(document);
})();
