/* The presence-check page (templates/handovers/presence.html): the keeper scans each item of an approved
 * handover on its shelf (static/js/scan-list.js does the scanning); a row scanned turns "present". */
(function () {
  "use strict";
  if (!window.ScanList) {
    return;
  }
  window.ScanList.start({
    prefix: "presence",
    doneField: "checked",
    doneWord: "present",
    completeButton: "complete-check",
    mark: function (row, said) {
      row.setAttribute("data-presence", "present");
      var badge = row.querySelector(".presence");
      if (badge) {
        badge.className = "presence status presence-present";
        badge.textContent = (said.labels || {}).present || "present";
      }
    }
  });
})();
