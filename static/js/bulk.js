// The list's bulk bar, enhanced: "Select this page" ticks every row, and the bar says how many
// are selected ("Selected: 3", or "Selected: all 59" with "Select all" ticked). Delegated from the document, so it keeps working after htmx swaps the table.
// Without JavaScript the rows' own checkboxes and "select all matching" do the same job.
(function () {
  "use strict";

  function rows() {
    return document.querySelectorAll("input[name=ids][form=bulk-form]");
  }

  function update() {
    var count = document.getElementById("bulk-count");
    var page = document.getElementById("bulk-page");
    if (!count || !page) { return; }
    var boxes = rows();
    var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
    // "Select all N" chooses every handler the list's filter matches, not only this page's.
    var all = document.getElementById("bulk-all");
    if (all && all.checked) {
      count.textContent = count.dataset.allTemplate.replace("__count__", all.dataset.total);
    } else {
      count.textContent = count.dataset.template.replace("__count__", String(ticked.length));
    }
    page.checked = boxes.length > 0 && ticked.length === boxes.length;
    page.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "bulk-page") {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "bulk-page" || target.id === "bulk-all" || (target.name === "ids" && target.form && target.form.id === "bulk-form")) {
      update();
    }
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
})();
