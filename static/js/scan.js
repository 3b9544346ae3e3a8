/* Keep the scan field ready for the next label.
 *
 * A keyboard-wedge scanner "types" the code and presses Enter into whatever has
 * focus; the field is a plain GET form, so Enter opens what was scanned with or
 * without this script. Here we only make sure the focus is where the scanner types.
 */
(function () {
  "use strict";
  var input = document.getElementById("scan-input");
  var form = document.getElementById("scan-form");
  if (!input || !form) {
    return;
  }
  // On a desk with a mouse, take focus back aggressively; on a phone that would keep popping up the keyboard.
  var finePointer = window.matchMedia && window.matchMedia("(pointer: fine)").matches;
  var INTERACTIVE = "a, button, input, select, textarea, summary, label, [tabindex]";

  function ready() {
    if (document.activeElement !== input) {
      input.focus({ preventScroll: true });
    }
  }

  ready();
  window.addEventListener("focus", ready);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      ready();
    }
  });
  // Coming back with the browser's Back button (a page restored from the back-forward cache): start empty,
  // so a new scan is not appended to the old one. A fresh load keeps whatever the scanner typed already.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      input.value = "";
    }
    ready();
  });
  document.addEventListener("click", function (event) {
    if (finePointer && !event.target.closest(INTERACTIVE)) {
      ready();
    }
  });
  input.addEventListener("blur", function () {
    if (!finePointer) {
      return;
    }
    window.setTimeout(function () {
      var active = document.activeElement;
      if (!active || active === document.body) {
        ready();
      }
    }, 0);
  });
  form.addEventListener("submit", function (event) {
    var value = input.value.trim();
    if (!value) {
      event.preventDefault();
      ready();
      return;
    }
    input.value = value;
  });
})();
