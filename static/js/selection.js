/* The case page's item selection (form#item-selection): a "select all" box over the item checkboxes.
 *
 * The buttons under the table (print labels, and others) submit whatever is ticked. Without
 * JavaScript the select-all box stays hidden and "Print labels for all items" does the same job.
 * Loaded as a file (never inline) because the Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";
  var form = document.getElementById("item-selection");
  var all = document.getElementById("select-all-items");
  if (!form || !all) {
    return;
  }

  function boxes() {
    return form.querySelectorAll('input[type="checkbox"][name="items"]');
  }

  // Checked when every item is ticked, mixed ("indeterminate") when some are.
  function reflect() {
    var list = boxes();
    var ticked = 0;
    for (var i = 0; i < list.length; i += 1) {
      if (list[i].checked) {
        ticked += 1;
      }
    }
    all.checked = list.length > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
  }

  all.hidden = false;
  all.addEventListener("change", function () {
    var list = boxes();
    for (var i = 0; i < list.length; i += 1) {
      list[i].checked = all.checked;
    }
    all.indeterminate = false;
  });
  form.addEventListener("change", function (event) {
    if (event.target !== all && event.target.name === "items") {
      reflect();
    }
  });
  reflect();
}());
