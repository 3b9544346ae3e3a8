/* The auditors' pages. Everything works without this file; it only makes two things kinder:
 * - verifying a large ledger takes a while: the button says so and cannot be pressed twice;
 * - the filter form leaves its empty fields out of the address, so links to a filtered view stay short.
 */
(function () {
  "use strict";

  var verify = document.getElementById("verify-form");
  if (verify) {
    verify.addEventListener("submit", function () {
      var button = verify.querySelector("button[type=submit]");
      if (button) {
        // Disabled after this tick, or the browser would not send the form at all.
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = button.getAttribute("data-busy") || button.textContent;
        }, 0);
      }
      verify.setAttribute("aria-busy", "true");
    });
  }

  var filters = document.getElementById("ledger-filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      Array.prototype.forEach.call(filters.elements, function (field) {
        if (field.name && field.value === "") {
          field.disabled = true;
        }
      });
      // Back on this page through the history, the fields must work again.
      window.addEventListener("pageshow", function () {
        Array.prototype.forEach.call(filters.elements, function (field) {
          field.disabled = false;
        });
      }, { once: true });
    });
  }
})();
