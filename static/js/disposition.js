/* The keeper's execution page (templates/dispositions/execute.html): scan each item of an approved disposition
 * as it leaves its shelf (static/js/scan-list.js does the scanning); the execute button says whether all are. */
(function () {
  "use strict";
  if (!window.ScanList) {
    return;
  }
  var button = document.getElementById("complete-execute");
  window.ScanList.start({
    prefix: "execute",
    doneField: "scanned",
    doneWord: "scanned",
    completeButton: "complete-execute",
    mark: function (row, said) {
      row.setAttribute("data-scanned", "true");
      var badge = row.querySelector(".scan-state");
      if (badge) {
        badge.className = "scan-state status presence-present";
        badge.textContent = said.scanned_label || "scanned";
      }
    },
    progressed: function (done, total) {
      if (!button) {
        return;
      }
      if (done >= total) {
        button.removeAttribute("data-incomplete");
      } else {
        button.setAttribute("data-incomplete", "true");
      }
    }
  });
})();
