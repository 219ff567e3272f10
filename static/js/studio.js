/* The describe page (templates/studio/drafts.html): select all, the count of selected works,
 * and taking a suggestion read from the file's own IPTC/XMP into a field. Without this script
 * the page still works: tick boxes one by one and type. */
(function () {
  "use strict";

  var form = document.querySelector("[data-describe]");
  if (!form) return;
  var picks = Array.prototype.slice.call(form.querySelectorAll("[data-pick]"));
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");

  function update() {
    var chosen = picks.filter(function (box) { return box.checked; }).length;
    picks.forEach(function (box) {
      box.closest("[data-draft]").classList.toggle("is-selected", box.checked);
    });
    if (all) {
      all.checked = chosen === picks.length && chosen > 0;
      all.indeterminate = chosen > 0 && chosen < picks.length;
    }
    if (count) {
      count.textContent = chosen === 0
        ? "Tick the works to change below."
        : chosen + (chosen === 1 ? " work selected." : " works selected.");
    }
  }

  picks.forEach(function (box) { box.addEventListener("change", update); });
  if (all) {
    all.addEventListener("change", function () {
      picks.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use], [data-add]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-use") || button.getAttribute("data-add"));
    var value = button.getAttribute("data-value");
    if (button.hasAttribute("data-use")) {
      field.value = value;
    } else {
      var current = field.value.trim().replace(/,\s*$/, "");
      field.value = current ? current + ", " + value : value;
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    button.closest(".suggestion").classList.add("is-taken");
    button.textContent = "Taken";
    // The accessible name starts with the visible text, so it changes with it.
    button.setAttribute("aria-label", (button.getAttribute("aria-label") || "").replace(/^[^:]*/, "Taken"));
    button.disabled = true;
    field.focus();
  });

  update();
})();
