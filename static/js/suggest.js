/* Co-op Stock — "Use these suggestions" on an asset's edit page (templates/assets/edit.html).
 *
 * <button data-suggest hidden
 *         data-title="…" data-description="…" data-keywords='["a","b"]'
 *         data-default-title="the file name's title"
 *         data-title-field="title" data-description-field="description" data-keywords-field="keywords"
 *         data-status="id-of-a-live-region"
 *         data-words='{"English": "the reader's language", …}'>
 *
 * Appends the suggested keywords that are not there yet to the keywords textarea, and fills the
 * title (when empty or still the file name) and the description (when empty). Nothing is saved
 * until the member presses "Save details". Without JS the button stays hidden.
 */
(function () {
  "use strict";

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function parseList(text) {
    try {
      var list = JSON.parse(text || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return [];
    }
  }

  /* The sentence in the reader's language (the button's data-words), {placeholders} filled in;
     English when the table lacks it. */
  function t(button, english, values) {
    var words = {};
    try {
      words = JSON.parse(button.getAttribute("data-words") || "{}") || {};
    } catch (error) {
      words = {};
    }
    var text = words[english] || english;
    for (var name in values || {}) text = text.split("{" + name + "}").join(values[name]);
    return text;
  }

  function normalise(word) {
    return String(word).toLowerCase().replace(/\s+/g, " ").trim();
  }

  function changed(field) {
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function apply(button) {
    var done = [];
    var keywordsField = byId(button.getAttribute("data-keywords-field"));
    var suggested = parseList(button.getAttribute("data-keywords"));
    if (keywordsField && suggested.length) {
      var current = keywordsField.value.split(",").map(normalise).filter(Boolean);
      var added = [];
      suggested.forEach(function (word) {
        var clean = normalise(word);
        if (clean && current.indexOf(clean) === -1 && added.indexOf(clean) === -1) added.push(clean);
      });
      if (added.length) {
        keywordsField.value = current.concat(added).join(", ");
        changed(keywordsField);
        done.push(t(button, added.length === 1 ? "{count} keyword" : "{count} keywords", { count: added.length }));
      }
    }

    var titleField = byId(button.getAttribute("data-title-field"));
    var title = button.getAttribute("data-title");
    if (titleField && title) {
      var now = titleField.value.trim();
      if (!now || now === (button.getAttribute("data-default-title") || "").trim()) {
        if (now !== title) {
          titleField.value = title;
          changed(titleField);
          done.push(t(button, "the title"));
        }
      }
    }

    var descriptionField = byId(button.getAttribute("data-description-field"));
    var description = button.getAttribute("data-description");
    if (descriptionField && description && !descriptionField.value.trim()) {
      descriptionField.value = description;
      changed(descriptionField);
      done.push(t(button, "the description"));
    }

    var status = byId(button.getAttribute("data-status"));
    if (status) {
      if (done.length) {
        var last = done.pop();
        var list = done.length ? t(button, "{first} and {last}", { first: done.join(", "), last: last }) : last;
        status.textContent = t(button, "Added {list}. Press “Save details” to keep them.", { list: list });
      } else {
        status.textContent = t(button, "Everything suggested is already in the form.");
      }
    }
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-suggest]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      button.hidden = false;
      button.addEventListener("click", function (event) {
        apply(event.currentTarget);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
