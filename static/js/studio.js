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
  var words = {};
  try {
    words = JSON.parse(form.getAttribute("data-words") || "{}");
  } catch (error) {
    words = {};
  }

  /* The sentence in the reader's language (the form's data-words, JSON: English -> translation,
     written by the template), {placeholders} filled in; a missing one shows in English. */
  function t(english, values) {
    var text = words[english] || english;
    for (var name in values || {}) text = text.split("{" + name + "}").join(values[name]);
    return text;
  }

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
        ? t("Tick the works to change below.")
        : t(chosen === 1 ? "{count} work selected." : "{count} works selected.", { count: chosen });
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
    button.textContent = t("Taken");
    // The accessible name starts with the visible text, so it changes with it.
    button.setAttribute("aria-label", (button.getAttribute("aria-label") || "").replace(/^[^:]*/, t("Taken")));
    button.disabled = true;
    field.focus();
  });

  update();
})();
