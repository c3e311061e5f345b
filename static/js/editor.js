/* Coldstart lab editor: turns the lab form's file blocks (a name input + a textarea each,
   which work without JavaScript) into a tabbed code editor with Python highlighting.

   Each textarea stays the real input: its text is transparent and a highlighted <pre> sits
   exactly behind it, re-rendered on every edit and scrolled with it. Tab inserts four
   spaces (Escape, then Tab, leaves the editor, so keyboard users are never trapped).
   Files can be added, renamed and removed; the form still posts name/content pairs. */
(function () {
  "use strict";

  var KEYWORDS = ("False None True and as assert async await break class continue def del elif " +
    "else except finally for from global if import in is lambda nonlocal not or pass raise " +
    "return try while with yield match case").split(" ");
  var BUILTINS = ("print len range dict list set tuple str int float bool open isinstance " +
    "enumerate zip sorted min max sum any all super type object Exception ValueError KeyError " +
    "TypeError RuntimeError json os self").split(" ");
  // One pass over the text; the first alternative that matches at a position wins.
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                         // 1 comment
    "((?:[rRbBuUfF]{0,2})(?:\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)" +
      "|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?))",       // 2 string
    "(@[A-Za-z_][\\w.]*)",                                                // 3 decorator
    "\\b(\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\b",                   // 4 number
    "([A-Za-z_]\\w*)"                                                     // 5 name
  ].join("|"), "g");
  var NAME_RULE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function span(cls, text) {
    return '<span class="tok-' + cls + '">' + escapeHtml(text) + "</span>";
  }

  function highlightPython(text) {
    var out = "", last = 0, match, previous = "";
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, match.index));
      if (match[1]) out += span("comment", match[1]);
      else if (match[2]) out += span("string", match[2]);
      else if (match[3]) out += span("decorator", match[3]);
      else if (match[4]) out += span("number", match[4]);
      else {
        var word = match[5];
        if (KEYWORDS.indexOf(word) >= 0) out += span("keyword", word);
        else if (previous === "def" || previous === "class") out += span("def", word);
        else if (BUILTINS.indexOf(word) >= 0) out += span("builtin", word);
        else out += escapeHtml(word);
        previous = word;
      }
      last = TOKEN.lastIndex;
    }
    return out + escapeHtml(text.slice(last));
  }

  function highlight(name, text) {
    // A trailing newline needs a visible line in the <pre>, or the caret's last line drifts.
    var body = /\.py$/.test(name) ? highlightPython(text) : escapeHtml(text);
    return body + "\n";
  }

  function Editor(root) {
    this.root = root;
    this.files = [];
    this.active = null;
    this.escaped = false;
    this.build();
  }

  Editor.prototype.build = function () {
    var self = this;
    var blocks = Array.prototype.slice.call(this.root.querySelectorAll("[data-file]"));
    this.root.classList.add("enhanced");
    this.tabs = document.createElement("div");
    this.tabs.className = "editor-tabs";
    this.tabs.setAttribute("role", "tablist");
    this.tabs.setAttribute("aria-label", "Files");
    var tools = document.createElement("div");
    tools.className = "editor-tools";
    tools.innerHTML =
      '<label>Name <input type="text" class="rename-input" data-testid="rename-input" spellcheck="false"></label>' +
      '<button type="button" data-action="rename">Rename</button>' +
      '<button type="button" data-action="add">Add file</button>' +
      '<button type="button" data-action="remove">Remove file</button>' +
      '<span class="editor-message" role="status"></span>';
    this.renameInput = tools.querySelector(".rename-input");
    this.message = tools.querySelector(".editor-message");
    tools.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-action");
      if (action === "rename") self.rename(self.renameInput.value.trim());
      if (action === "add") self.add();
      if (action === "remove") self.remove();
    });
    this.renameInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); self.rename(self.renameInput.value.trim()); }
    });
    this.root.insertBefore(tools, this.root.firstChild);
    this.root.insertBefore(this.tabs, tools);
    blocks.forEach(function (block) {
      var nameInput = block.querySelector("input[name=filename]");
      if (block.classList.contains("spare") && !nameInput.value && !block.querySelector("textarea").value) {
        block.parentNode.removeChild(block);  // the no-JS "new file" slot; "Add file" replaces it
        return;
      }
      self.adopt(block);
    });
    if (this.files.length) this.select(this.files[0]);
  };

  Editor.prototype.adopt = function (block) {
    var self = this;
    var file = {
      block: block,
      nameInput: block.querySelector("input[name=filename]"),
      textarea: block.querySelector("textarea"),
      tab: document.createElement("button")
    };
    block.classList.remove("spare");
    block.querySelector(".file-label").hidden = true;
    var wrap = document.createElement("div");
    wrap.className = "code-wrap";
    var pre = document.createElement("pre");
    pre.className = "code-highlight";
    pre.setAttribute("aria-hidden", "true");
    file.code = document.createElement("code");
    pre.appendChild(file.code);
    file.textarea.parentNode.insertBefore(wrap, file.textarea);
    wrap.appendChild(pre);
    wrap.appendChild(file.textarea);
    file.pre = pre;
    file.tab.type = "button";
    file.tab.className = "editor-tab";
    file.tab.setAttribute("role", "tab");
    file.tab.addEventListener("click", function () { self.select(file); });
    this.tabs.appendChild(file.tab);
    file.textarea.addEventListener("input", function () { self.paint(file); });
    file.textarea.addEventListener("scroll", function () {
      pre.scrollTop = file.textarea.scrollTop;
      pre.scrollLeft = file.textarea.scrollLeft;
    });
    file.textarea.addEventListener("keydown", function (event) { self.onKey(event, file); });
    this.files.push(file);
    this.label(file);
    this.paint(file);
    return file;
  };

  Editor.prototype.label = function (file) {
    file.tab.textContent = file.nameInput.value;
    file.tab.setAttribute("data-filename", file.nameInput.value);
    file.textarea.setAttribute("aria-label", "Contents of " + file.nameInput.value);
  };

  Editor.prototype.paint = function (file) {
    file.code.innerHTML = highlight(file.nameInput.value, file.textarea.value);
    file.pre.scrollTop = file.textarea.scrollTop;
  };

  Editor.prototype.select = function (file) {
    this.files.forEach(function (other) {
      var on = other === file;
      other.block.hidden = !on;
      other.tab.setAttribute("aria-selected", on ? "true" : "false");
      other.tab.tabIndex = on ? 0 : -1;
    });
    this.active = file;
    this.renameInput.value = file.nameInput.value;
    this.say("");
  };

  Editor.prototype.say = function (text) { this.message.textContent = text; };

  Editor.prototype.problem = function (name, except) {
    if (!name) return "Give the file a name.";
    if (name.length > 100 || !NAME_RULE.test(name)) {
      return "Use letters, digits, _ - . and / only, like handler.py or lib/util.py.";
    }
    var taken = this.files.some(function (f) { return f !== except && f.nameInput.value === name; });
    return taken ? "Another file is already called " + name + "." : "";
  };

  Editor.prototype.rename = function (name) {
    if (!this.active) return;
    var problem = this.problem(name, this.active);
    if (problem) { this.say(problem); return; }
    this.active.nameInput.value = name;
    this.label(this.active);
    this.paint(this.active);
    this.say("Renamed to " + name + ".");
  };

  Editor.prototype.add = function () {
    var n = 1, name = "module.py";
    while (this.problem(name, null)) { n += 1; name = "module" + n + ".py"; }
    var block = document.createElement("div");
    block.className = "editor-file";
    block.setAttribute("data-file", "");
    block.innerHTML = '<label class="file-label">File name <input name="filename" class="file-name"></label>' +
      '<textarea name="content" class="code-input" rows="18" wrap="off" spellcheck="false" autocapitalize="off" autocomplete="off"></textarea>';
    block.querySelector("input").value = name;
    this.root.appendChild(block);
    var file = this.adopt(block);
    this.select(file);
    this.say("Added " + name + "; rename it above.");
    this.renameInput.focus();
    this.renameInput.select();
  };

  Editor.prototype.remove = function () {
    var file = this.active;
    if (!file) return;
    if (this.files.length === 1) { this.say("A submission needs at least one file."); return; }
    if (file.textarea.value.trim() && !window.confirm("Remove " + file.nameInput.value + " and its text?")) return;
    this.files.splice(this.files.indexOf(file), 1);
    file.block.parentNode.removeChild(file.block);
    file.tab.parentNode.removeChild(file.tab);
    this.select(this.files[0]);
    this.say("Removed " + file.nameInput.value + ".");
  };

  Editor.prototype.onKey = function (event, file) {
    var area = file.textarea;
    if (event.key === "Escape") { this.escaped = true; return; }
    if (event.key !== "Tab" || this.escaped || event.ctrlKey || event.altKey || event.metaKey) {
      if (event.key !== "Tab") this.escaped = false;
      return;
    }
    event.preventDefault();
    var start = area.selectionStart, end = area.selectionEnd, value = area.value;
    var lineStart = value.lastIndexOf("\n", start - 1) + 1;
    if (start === end && !event.shiftKey) {
      var pad = "    ".slice((start - lineStart) % 4);
      area.setRangeText(pad, start, end, "end");
    } else {
      // A selection (or Shift+Tab) indents or dedents every line it touches.
      var block = value.slice(lineStart, end);
      var changed = event.shiftKey
        ? block.replace(/^( {1,4}|\t)/gm, "")
        : block.replace(/^/gm, "    ");
      area.setRangeText(changed, lineStart, end, "select");
    }
    this.paint(file);
  };

  /* What the form would post, as the JSON API wants it: {name: text}. */
  Editor.prototype.collect = function () {
    var files = {};
    this.files.forEach(function (f) { files[f.nameInput.value.trim()] = f.textarea.value; });
    return files;
  };

  Editor.prototype.setFile = function (name, text) {
    var file = this.files.filter(function (f) { return f.nameInput.value === name; })[0];
    if (!file) return false;
    file.textarea.value = text;
    this.paint(file);
    return true;
  };

  window.ColdstartEditor = { highlightPython: highlightPython, editors: [] };
  Array.prototype.forEach.call(document.querySelectorAll("[data-editor]"), function (root) {
    var editor = new Editor(root);
    root.coldstartEditor = editor;
    window.ColdstartEditor.editors.push(editor);
  });
})();
