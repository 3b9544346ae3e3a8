/* Handover forms: a reason box that only counts when its item is ticked.
 *
 * On a handover's page (form#accept-form) the reason beside an item is enabled, and required, only
 * while the item's "Reject" box is ticked, so a reason cannot be sent for an item being accepted.
 * On a case page (form#handover-form) "moves with the case" is offered only for items being handed
 * over. Without JavaScript every box stays enabled and the server refuses a mismatch with a message.
 * When every item is ticked for rejection, a line under the table (p#reject-all-warning) says that
 * accepting takes only the case: allowed, but easy to do by mistake.
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

  // Show the warning while every item is rejected (items found missing have no box: they are rejected anyway).
  function warnWhenAllRejected(form) {
    var warning = document.getElementById("reject-all-warning");
    if (!warning || !form.querySelector("tbody tr")) {
      return;
    }
    function update() {
      var boxes = form.querySelectorAll('input[name="reject"]');
      var all = true;
      for (var i = 0; i < boxes.length; i += 1) {
        all = all && boxes[i].checked;
      }
      warning.hidden = !all;
    }
    update();
    form.addEventListener("change", update);
  }

  var accept = document.getElementById("accept-form");
  if (accept) {
    pair(accept, 'input[name="reject"]', "input.reject-reason", function (box, reason) {
      reason.required = box.checked;
      if (box.checked && document.activeElement === box) {
        reason.focus();
      }
    });
    warnWhenAllRejected(accept);
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
