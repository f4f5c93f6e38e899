// Editors for the inputs a text box serves badly (DURATION, TABLE). Each one edits the field Kestra reads
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

  // TABLE: a row of typed cells per row of the table, rows added and removed with buttons;
  // the rows are written into the text area as Kestra's JSON list of objects.
  var CELL_TYPES = {INT: "number", FLOAT: "number", DATE: "date", DATETIME: "datetime-local",
    TIME: "time", EMAIL: "email", URI: "url", BOOL: "checkbox"};

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function cellInput(editor, column, row) {
    var id = editor.getAttribute("data-table-for") + "-r" + row + "-" + column.id;
    var label = column.label + ", row " + row;
    var input;
    if (column.type === "SELECT" || column.type === "MULTISELECT") {
      input = element("select", {id: id, "aria-label": label});
      if (column.type === "MULTISELECT") { input.multiple = true; } else { input.appendChild(element("option", {value: ""}, gettext("Choose…"))); }
      column.options.forEach(function (option) { input.appendChild(element("option", {value: option[0]}, option[1])); });
    } else {
      input = element("input", {id: id, type: CELL_TYPES[column.type] || "text", "aria-label": label});
      if (column.type === "INT") { input.step = "1"; }
      if (column.type === "FLOAT") { input.step = "any"; }
    }
    input.setAttribute("data-column", column.id);
    if (column.required) { input.setAttribute("aria-required", "true"); }
    return input;
  }

  function putCell(input, column, value) {
    if (value === undefined || value === null) { return; }
    if (column.type === "BOOL") { input.checked = value === true || value === "true"; return; }
    if (column.type === "MULTISELECT") {
      var chosen = Array.isArray(value) ? value.map(String) : [String(value)];
      Array.prototype.forEach.call(input.options, function (o) { o.selected = chosen.indexOf(o.value) >= 0; });
      return;
    }
    input.value = column.type === "DATETIME" ? String(value).slice(0, 16) : String(value);
  }

  function readCell(input, column) {
    if (column.type === "BOOL") { return input.checked ? true : undefined; }
    if (column.type === "MULTISELECT") {
      var chosen = Array.prototype.filter.call(input.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      return chosen.length ? chosen : undefined;
    }
    var text = input.value.trim();
    if (text === "") { return undefined; }
    if (column.type === "INT" || column.type === "FLOAT") { return isFinite(+text) ? +text : text; }
    if (column.type === "DATETIME") { return text.length === 16 ? text + ":00Z" : text + "Z"; }
    return text;
  }

  function columnsOf(editor) { return JSON.parse(editor.getAttribute("data-columns")); }

  function addRow(editor, values) {
    var body = editor.querySelector("tbody");
    var number = body.rows.length + 1;
    var tr = element("tr");
    columnsOf(editor).forEach(function (column) {
      var input = cellInput(editor, column, number);
      putCell(input, column, values[column.id]);
      var td = element("td", {"data-label": column.label});
      td.appendChild(input);
      tr.appendChild(td);
    });
    var remove = element("button", {type: "button", "class": "btn btn-default btn-size-small",
      "data-remove-row": "", "aria-label": interpolate(gettext("Remove row %s"), [number])}, gettext("Remove"));
    var last = element("td");
    last.appendChild(remove);
    tr.appendChild(last);
    body.appendChild(tr);
    return tr;
  }

  function writeTable(editor) {
    var columns = columnsOf(editor);
    var rows = Array.prototype.map.call(editor.querySelectorAll("tbody tr"), function (tr) {
      var row = {};
      columns.forEach(function (column) {
        var value = readCell(tr.querySelector("[data-column='" + column.id + "']"), column);
        if (value !== undefined) { row[column.id] = value; }
      });
      return row;
    });
    var filled = rows.some(function (row) { return Object.keys(row).length > 0; });
    var text = document.getElementById(editor.getAttribute("data-table-for"));
    text.value = filled ? JSON.stringify(rows) : "";
    text.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function setUpTable(editor) {
    var text = document.getElementById(editor.getAttribute("data-table-for"));
    if (!text) { return; }
    var rows;
    try { rows = text.value.trim() ? JSON.parse(text.value) : []; } catch (e) { return; }
    if (!Array.isArray(rows)) { return; }  // not a list: the text area stays for the person to fix
    var columns = columnsOf(editor);
    var table = element("table", {"class": "table-input"});
    table.appendChild(element("caption", {"class": "visually-hidden"}, editor.getAttribute("data-label")));
    var head = element("tr");
    columns.forEach(function (column) {
      head.appendChild(element("th", {scope: "col"}, column.label + (column.required ? " *" : "")));
    });
    head.appendChild(element("th", {scope: "col"}, ""));
    table.appendChild(element("thead")).appendChild(head);
    table.appendChild(element("tbody"));
    editor.textContent = "";
    editor.appendChild(table);
    editor.appendChild(element("button", {type: "button", "class": "btn btn-default btn-size-small",
      "data-add-row": ""}, gettext("Add a row")));
    editor.appendChild(element("p", {"class": "visually-hidden", "aria-live": "polite"}));
    (rows.length ? rows : [{}]).forEach(function (row) {
      addRow(editor, row && typeof row === "object" ? row : {});
    });
    var errors = text.getAttribute("aria-describedby");
    if (errors) { table.setAttribute("aria-describedby", errors); }
    text.hidden = true;
    editor.hidden = false;
  }

  function announce(editor, message) { editor.querySelector("[aria-live]").textContent = message; }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var editor = target.closest && target.closest("[data-table-for]");
    if (!editor) { return; }
    if (target.hasAttribute("data-add-row")) {
      var tr = addRow(editor, {});
      tr.querySelector("[data-column]").focus();
      announce(editor, interpolate(gettext("Row %s added"), [editor.querySelectorAll("tbody tr").length]));
      writeTable(editor);
    } else if (target.hasAttribute("data-remove-row")) {
      var rows = Array.prototype.slice.call(editor.querySelectorAll("tbody tr"));
      var index = rows.indexOf(target.closest("tr"));
      var kept = rows.filter(function (row, i) { return i !== index; }).map(function (row) {
        var values = {};
        columnsOf(editor).forEach(function (column) {
          values[column.id] = readCell(row.querySelector("[data-column='" + column.id + "']"), column);
        });
        return values;
      });
      editor.querySelector("tbody").textContent = "";
      kept.forEach(function (values) { addRow(editor, values); });
      var next = editor.querySelectorAll("[data-remove-row]")[Math.min(index, kept.length - 1)];
      (next || editor.querySelector("[data-add-row]")).focus();
      announce(editor, interpolate(gettext("Row %s removed"), [index + 1]));
      writeTable(editor);
    }
  });

  function onCellEdit(event) {
    var editor = event.target.closest && event.target.closest("[data-table-for]");
    if (editor && event.target.hasAttribute("data-column")) { writeTable(editor); }
  }
  document.addEventListener("input", onCellEdit);
  document.addEventListener("change", onCellEdit);

  function setUp(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-duration-for]"), setUpDuration);
    Array.prototype.forEach.call(root.querySelectorAll("[data-table-for]"), setUpTable);
  }

  document.addEventListener("portal:fields", function (event) { setUp(event.target); });
  setUp(document);
})();
