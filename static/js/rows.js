/* "Add another row" on the register-items form, without a round trip to the server.
 *
 * Without JavaScript the same button submits the form with add_row=1 and the server
 * sends it back with one more row, so the page works either way. Loaded as a file
 * (never inline) because the Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";
  var form = document.getElementById("register-items");
  var button = document.getElementById("add-row");
  var count = document.getElementById("row-count");
  if (!form || !button || !count) {
    return;
  }
  var container = form.querySelector(".item-rows");
  var max = parseInt(form.getAttribute("data-max-rows"), 10) || 200;
  // One seizure decision usually covers the whole list: start a new row with the same document and time.
  var CARRIED = ["seizure_doc_no", "seized_at"];
  var NAME = /^rows-\d+-(.+)$/;

  function rows() {
    return container.querySelectorAll("fieldset.item-row");
  }

  function update() {
    var n = rows().length;
    count.value = String(n);
    button.disabled = n >= max;
  }

  // The nearest value above for a carried field (the last row may be one of the empty defaults).
  function carriedValue(all, name) {
    for (var i = all.length - 1; i >= 0; i -= 1) {
      var field = all[i].querySelector('[name$="-' + name + '"]');
      if (field && field.value) {
        return field.value;
      }
    }
    return "";
  }

  function clearField(field) {
    if (field.type === "checkbox") {
      field.checked = false;
      field.removeAttribute("checked");
    } else if (field.tagName === "SELECT") {
      field.selectedIndex = 0;
      Array.prototype.forEach.call(field.options, function (option) { option.removeAttribute("selected"); });
    } else {
      field.removeAttribute("value");
      if (field.tagName === "TEXTAREA") {
        field.textContent = "";
      }
      field.value = "";
    }
  }

  function addRow() {
    var all = rows();
    var last = all[all.length - 1];
    var index = all.length;
    if (!last || index >= max) {
      return;
    }
    var fresh = last.cloneNode(true);
    fresh.setAttribute("data-row", String(index));
    fresh.classList.remove("has-errors");
    fresh.querySelectorAll(".field-error").forEach(function (el) { el.parentNode.removeChild(el); });
    fresh.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    fresh.querySelectorAll("[autofocus]").forEach(function (el) { el.removeAttribute("autofocus"); });
    var number = fresh.querySelector(".row-no");
    if (number) {
      number.textContent = String(index + 1);
    }
    fresh.querySelectorAll("input, select, textarea").forEach(function (field) {
      var match = NAME.exec(field.name);
      if (!match) {
        return;
      }
      field.name = "rows-" + index + "-" + match[1];
      clearField(field);
      if (CARRIED.indexOf(match[1]) !== -1) {
        field.value = carriedValue(all, match[1]);
      }
    });
    container.appendChild(fresh);
    update();
    var first = fresh.querySelector("input, select, textarea");
    if (first) {
      first.focus();
    }
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    addRow();
  });
  update();
})();
