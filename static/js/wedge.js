/* Scan from any page: a keyboard-wedge scanner types a whole code in a few milliseconds
 * and presses Enter. When that happens while no field has focus (say, on the item page
 * the previous scan opened), open the scan page with what was typed, so a keeper can scan
 * label after label without going back first. People type far slower than MAX_GAP_MS, so
 * ordinary key presses (shortcuts, scrolling with the space bar) are left alone.
 */
(function () {
  "use strict";
  var target = document.body.getAttribute("data-scan-url");
  if (!target) {
    return;
  }
  var MAX_GAP_MS = 50;
  var MIN_LENGTH = 4;
  var buffer = "";
  var last = 0;

  function editable(el) {
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    // A page that scans for itself (static/js/scanner.js marks its body) keeps its scans, even those typed
    // while its field has lost focus.
    if (document.body.hasAttribute("data-scanner")) {
      buffer = "";
      return;
    }
    if (editable(event.target) || event.ctrlKey || event.metaKey || event.altKey) {
      buffer = "";
      return;
    }
    var now = Date.now();
    if (now - last > MAX_GAP_MS) {
      buffer = "";
    }
    last = now;
    if (event.key === "Enter") {
      if (buffer.length >= MIN_LENGTH) {
        event.preventDefault();
        window.location.assign(target + "?code=" + encodeURIComponent(buffer));
      }
      buffer = "";
    } else if (event.key.length === 1) {
      buffer += event.key;
    }
  });
})();
