/* The app YAML editor in the admin: CodeMirror over the textarea, issues marked at their
   line, and "Check and preview" asking the server to parse the YAML and draw each stage.
   Without JavaScript the textarea and the server's error list still work. */
(function () {
  "use strict";

  var GUTTER = "app-issue-gutter";
  var LINE_PREFIX = /^line (\d+): /;

  function readIssues() {
    var node = document.getElementById("app-source-issues");
    return node ? JSON.parse(node.textContent) : [];
  }

  function jumpTo(editor, line) {
    editor.focus();
    editor.setCursor({ line: line - 1, ch: 0 });
    editor.scrollIntoView({ line: line - 1, ch: 0 }, 80);
  }

  function issueText(issue) {
    var where = issue.line ? interpolate(gettext("line %s: "), [issue.line]) : "";
    return where + (issue.path ? issue.path + ": " : "") + issue.message;
  }

  function Marks(editor) {
    var lines = [];
    this.show = function (issues) {
      editor.clearGutter(GUTTER);
      lines.forEach(function (handle) {
        editor.removeLineClass(handle, "wrap", "app-issue-line");
      });
      lines = [];
      var byLine = {};
      issues.forEach(function (issue) {
        if (issue.line && issue.line <= editor.lineCount()) {
          (byLine[issue.line] = byLine[issue.line] || []).push(issueText(issue));
        }
      });
      Object.keys(byLine).forEach(function (line) {
        var marker = document.createElement("span");
        marker.className = "app-issue-marker";
        marker.textContent = "●";
        marker.title = byLine[line].join("\n");
        editor.setGutterMarker(line - 1, GUTTER, marker);
        lines.push(editor.addLineClass(line - 1, "wrap", "app-issue-line"));
      });
    };
  }

  function fillList(list, editor, issues) {
    list.textContent = "";
    issues.forEach(function (issue) {
      var item = document.createElement("li");
      item.textContent = issueText(issue);
      if (issue.line) {
        item.dataset.line = issue.line;
        item.addEventListener("click", function () { jumpTo(editor, issue.line); });
      }
      list.appendChild(item);
    });
    list.hidden = issues.length === 0;
  }

  // The server's own error list: each "line N: ..." item jumps to its line.
  function linkServerErrors(textarea, editor) {
    var row = textarea.closest(".form-row") || textarea.parentNode;
    row.querySelectorAll(".errorlist li").forEach(function (item) {
      var match = LINE_PREFIX.exec(item.textContent);
      if (match) {
        item.dataset.line = match[1];
        item.addEventListener("click", function () { jumpTo(editor, Number(match[1])); });
      }
    });
  }

  function setUpPreview(panel, editor, marks) {
    var button = panel.querySelector("[data-preview-button]");
    var status = panel.querySelector(".app-preview-status");
    var list = panel.querySelector(".app-source-issues");
    var frame = panel.querySelector(".app-preview-frame");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    button.addEventListener("click", function () {
      var body = new FormData();
      body.append("source", editor.getValue());
      body.append("object_id", panel.dataset.objectId || "");
      status.textContent = gettext("Checking…");
      fetch(panel.dataset.previewUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "" },
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(interpolate(gettext("the server answered %s"), [response.status])); }
          return response.json();
        })
        .then(function (data) {
          marks.show(data.issues);
          fillList(list, editor, data.issues);
          status.textContent = data.valid
            ? gettext("No errors. Every stage is drawn below with sample data.")
            : interpolate(ngettext("%s error: the app cannot be saved yet.",
              "%s errors: the app cannot be saved yet.", data.issues.length), [data.issues.length]);
          frame.hidden = !data.valid;
          if (data.valid) { frame.srcdoc = data.html; }
        })
        .catch(function (error) { status.textContent = interpolate(gettext("The preview failed: %s"), [error.message]); });
    });
  }

  function init() {
    var textarea = document.querySelector("textarea.yaml-source");
    if (!textarea || !window.CodeMirror) { return; }
    var editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "yaml",
      lineNumbers: true,
      indentUnit: 2,
      tabSize: 2,
      indentWithTabs: false,
      gutters: ["CodeMirror-linenumbers", GUTTER],
      extraKeys: {
        // YAML forbids tabs for indentation: the Tab key inserts spaces.
        Tab: function (cm) {
          if (cm.somethingSelected()) { cm.indentSelection("add"); return; }
          cm.replaceSelection(new Array(cm.getOption("indentUnit") + 1).join(" "));
        },
        "Shift-Tab": function (cm) { cm.indentSelection("subtract"); },
      },
    });
    var marks = new Marks(editor);
    marks.show(readIssues());
    linkServerErrors(textarea, editor);
    var panel = document.querySelector(".app-preview-panel");
    if (panel) { setUpPreview(panel, editor, marks); }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
