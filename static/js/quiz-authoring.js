// Question authoring form: add and remove formset rows in place. Without this script the
// page still works: "Add a row" submits the form and the server adds a blank row, and
// "Remove this row" is a checkbox that takes effect on save.
(function () {
  "use strict";

  function setupRows(fieldset) {
    var prefix = fieldset.dataset.prefix;
    var total = fieldset.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var maxInput = fieldset.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var list = fieldset.querySelector(".row-list");
    var template = fieldset.querySelector("template.row-template");
    var addButton = fieldset.querySelector("button.add-row");
    if (!total || !list || !template || !addButton) return;

    function refreshAddButton() {
      var max = maxInput ? parseInt(maxInput.value, 10) : Infinity;
      addButton.disabled = parseInt(total.value, 10) >= max;
    }

    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      list.appendChild(row);
      total.value = String(index + 1);
      bindRemove(row);
      refreshAddButton();
      var first = row.querySelector("textarea, input:not([type=hidden]):not([type=checkbox])");
      if (first) first.focus();
    });

    list.querySelectorAll("[data-row]").forEach(bindRemove);
    refreshAddButton();
  }

  // Removing keeps the row's inputs (checked DELETE box) so form indexes stay contiguous.
  function bindRemove(row) {
    var box = row.querySelector('input[type=checkbox][name$="-DELETE"]');
    if (!box) return;
    var label = box.closest("label");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "remove-row-button";
    button.textContent = "Remove this row";
    button.addEventListener("click", function () {
      box.checked = true;
      row.hidden = true;
    });
    if (label) {
      label.hidden = true;
      label.parentNode.insertBefore(button, label);
    }
  }

  document.querySelectorAll("fieldset.rows[data-prefix]").forEach(setupRows);
})();
