/* Handover forms: a reason box that only counts when its item is ticked.
 *
 * On a handover's page (form#accept-form) the reason beside an item is enabled, and required, only
 * while the item's "Reject" box is ticked, so a reason cannot be sent for an item being accepted.
 * On a case page (form#handover-form) "moves with the case" is offered only for items being handed
 * over. Without JavaScript every box stays enabled and the server refuses a mismatch with a message.
 * Loaded as a file (never inline) because the Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";

  // In each table row of `form`, enable the `dependent` input only while the `leader` box is ticked.
  function pair(form, leader, dependent, onToggle) {
    function sync(row) {
      var box = row.querySelector(leader);
      var other = row.querySelector(dependent);
      if (!box || !other) {
        return;
      }
      other.disabled = box.disabled || !box.checked;
      onToggle(box, other);
    }
    var rows = form.querySelectorAll("tbody tr");
    for (var i = 0; i < rows.length; i += 1) {
      sync(rows[i]);
    }
    form.addEventListener("change", function (event) {
      var row = event.target.closest("tr");
      if (row && event.target.matches(leader)) {
        sync(row);
      }
    });
  }

  var accept = document.getElementById("accept-form");
  if (accept) {
    pair(accept, 'input[name="reject"]', "input.reject-reason", function (box, reason) {
      reason.required = box.checked;
      if (box.checked && document.activeElement === box) {
        reason.focus();
      }
    });
  }

  var request = document.getElementById("handover-form");
  if (request) {
    pair(request, 'input[name="items"]', 'input[name="moves"]', function (box, moves) {
      if (!box.checked) {
        moves.checked = false;
      }
    });
  }
})();
