/* Co-op Stock — the storefront (templates/main/home.html, templates/catalogue/search.html).
 *
 * Recent searches: a search page with results ([data-recent-search="words"]) remembers the words
 *   in this browser's localStorage, never on the server (the pages are cached for everyone);
 *   the home page lists them in [data-recent-searches] with a Clear button.
 * Filters: on a wide screen each choice in form[data-filters] applies at once; on a narrow one
 *   the panel (#filters) opens as a sheet from [data-filters-open] and applies on "Show results".
 *   select[data-auto-submit] (the sort) submits its form when changed.
 * Quick-save: a tile's button[data-quick-save="asset id"] opens #quick-save beside it. The
 *   picker lists the person's lightboxes (GET data-list-url) and saves with POST data-save-url
 *   {asset_id, lightbox_id} or {asset_id, name}, with the CSRF token of <meta name="csrf-token">.
 *   Nothing leaves the page. Its sentences come from the panel's data-words (JSON: English ->
 *   the reader's language, written by the template); a sentence missing there shows in English.
 */
(function () {
  "use strict";

  var RECENT_KEY = "coop-stock.recent-searches";
  var RECENT_MAX = 6;
  var WIDE = window.matchMedia("(min-width: 64rem)");

  /* ---------- Recent searches ---------- */

  function readRecent() {
    try {
      var list = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (q) { return typeof q === "string" && q; }) : [];
    } catch (error) {
      return [];
    }
  }

  function writeRecent(list) {
    try {
      if (list.length) window.localStorage.setItem(RECENT_KEY, JSON.stringify(list));
      else window.localStorage.removeItem(RECENT_KEY);
    } catch (error) {
      /* Private browsing or storage full: recent searches are a convenience, nothing more. */
    }
  }

  function remember(words) {
    var q = words.replace(/\s+/g, " ").trim();
    if (!q) return;
    var list = readRecent().filter(function (old) { return old.toLowerCase() !== q.toLowerCase(); });
    list.unshift(q);
    writeRecent(list.slice(0, RECENT_MAX));
  }

  function showRecent(box) {
    var list = box.querySelector("[data-recent-list]");
    var recent = readRecent();
    list.textContent = "";
    recent.forEach(function (q) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "sf-chip";
      link.href = "/search?q=" + encodeURIComponent(q);
      link.textContent = q;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.hidden = recent.length === 0;
  }

  function initRecent() {
    var page = document.querySelector("[data-recent-search]");
    if (page && page.getAttribute("data-recent-search")) remember(page.getAttribute("data-recent-search"));
    var box = document.querySelector("[data-recent-searches]");
    if (!box) return;
    showRecent(box);
    var clear = box.querySelector("[data-recent-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        writeRecent([]);
        showRecent(box);
        var field = document.getElementById("home-q");
        if (field) field.focus();
      });
    }
  }

  /* ---------- Filters ---------- */

  function initFilters() {
    var form = document.querySelector("form[data-filters]");
    var panel = document.querySelector("[data-filters-sheet]");
    var opener = document.querySelector("[data-filters-open]");
    var backdrop = null;

    document.querySelectorAll("select[data-auto-submit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) select.form.requestSubmit();
      });
    });
    if (!form || !panel) return;

    form.addEventListener("change", function () {
      if (WIDE.matches && !panel.classList.contains("is-open")) form.requestSubmit();
    });

    function close() {
      panel.classList.remove("is-open");
      panel.removeAttribute("role");
      panel.removeAttribute("aria-modal");
      if (backdrop) backdrop.remove();
      backdrop = null;
      if (opener) {
        opener.setAttribute("aria-expanded", "false");
        opener.focus();
      }
    }

    function open() {
      panel.classList.add("is-open");
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-modal", "true");
      backdrop = document.createElement("div");
      backdrop.className = "sf-backdrop";
      backdrop.addEventListener("click", close);
      document.body.appendChild(backdrop);
      opener.setAttribute("aria-expanded", "true");
      var first = panel.querySelector("input:checked, input, select");
      if (first) first.focus();
    }

    if (opener) opener.addEventListener("click", open);
    var closer = panel.querySelector("[data-filters-close]");
    if (closer) closer.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel.classList.contains("is-open")) close();
    });
    WIDE.addEventListener("change", function () {
      if (WIDE.matches && panel.classList.contains("is-open")) close();
    });
  }

  /* ---------- Quick-save ---------- */

  var WORDS = null;

  /* The quick-save's sentence in the reader's language, its {placeholders} filled in. */
  function t(english, values) {
    if (WORDS === null) {
      var holder = document.querySelector("[data-quick-save-panel][data-words]");
      try {
        WORDS = JSON.parse((holder && holder.getAttribute("data-words")) || "{}");
      } catch (error) {
        WORDS = {};
      }
    }
    var text = WORDS[english] || english;
    for (var name in values || {}) text = text.split("{" + name + "}").join(values[name]);
    return text;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function requestJson(url, body) {
    var init = {
      method: body ? "POST" : "GET",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" }
    };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(url, init);
    } catch (networkError) {
      throw new Error(t("The connection was lost. Check it and try again."));
    }
    var data = null;
    try {
      data = await response.json();
    } catch (parseError) {
      data = null;
    }
    if (response.redirected || response.status === 401) {
      throw new Error(t("You are no longer signed in. Sign in again, then save."));
    }
    if (!response.ok) {
      if (data && data.error && data.error.message) throw new Error(data.error.message);
      if (response.status === 400) throw new Error(t("This page has expired. Reload it and try again."));
      throw new Error(t("Could not save (error {status}). Please try again.", { status: response.status }));
    }
    return data;
  }

  function initQuickSave() {
    var panel = document.querySelector("[data-quick-save-panel]");
    if (!panel) return;
    var list = panel.querySelector("[data-quick-save-list]");
    var work = panel.querySelector("[data-quick-save-work]");
    var status = panel.querySelector("[data-quick-save-status]");
    var newForm = panel.querySelector("[data-quick-save-new]");
    var nameField = panel.querySelector("#quick-save-name");
    var current = null; /* the tile's Save button the picker is open for */

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("is-error", Boolean(isError));
    }

    function place(button) {
      if (window.matchMedia("(max-width: 40rem)").matches) {
        panel.style.left = "";
        panel.style.top = "";
        return;
      }
      var box = button.getBoundingClientRect();
      var width = panel.offsetWidth;
      var left = Math.min(box.right - width, document.documentElement.clientWidth - width - 16);
      panel.style.left = Math.max(16, left) + window.scrollX + "px";
      panel.style.top = box.bottom + window.scrollY + 8 + "px";
    }

    function markSaved(name) {
      if (!current) return;
      current.classList.add("is-saved");
      var label = current.querySelector("span:not(.visually-hidden)");
      if (label) label.textContent = t("Saved");
      say(t("Saved to “{name}”.", { name: name }));
    }

    async function save(body, name) {
      say(t("Saving…"));
      try {
        var data = await requestJson(panel.getAttribute("data-save-url"), body);
        markSaved(data.lightbox.name || name);
        return data;
      } catch (error) {
        say(error.message, true);
        return null;
      }
    }

    function pickButton(box, assetId) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "quick-save__pick";
      button.setAttribute("aria-pressed", box.has_asset ? "true" : "false");
      var name = document.createElement("span");
      name.textContent = box.name;
      var meta = document.createElement("span");
      meta.className = "quick-save__meta";
      meta.textContent = box.has_asset
        ? t("Saved")
        : t(box.item_count === 1 ? "{count} item" : "{count} items", { count: box.item_count });
      button.appendChild(name);
      button.appendChild(meta);
      button.addEventListener("click", async function () {
        if (button.getAttribute("aria-pressed") === "true") {
          say(t("Already in “{name}”.", { name: box.name }));
          return;
        }
        var saved = await save({ asset_id: assetId, lightbox_id: box.id }, box.name);
        if (saved) {
          button.setAttribute("aria-pressed", "true");
          meta.textContent = t("Saved");
        }
      });
      return button;
    }

    async function load(assetId) {
      list.textContent = "";
      say(t("Loading your lightboxes…"));
      try {
        var data = await requestJson(panel.getAttribute("data-list-url") + "?asset_id=" + assetId);
        data.lightboxes.forEach(function (box) {
          var item = document.createElement("li");
          item.appendChild(pickButton(box, assetId));
          list.appendChild(item);
        });
        list.hidden = data.lightboxes.length === 0;
        say(data.lightboxes.length ? "" : t("You have no lightboxes yet: name your first one."));
      } catch (error) {
        say(error.message, true);
      }
    }

    function activeTile(button, on) {
      var tile = button.closest(".jtile");
      if (tile) tile.classList.toggle("is-active", on);
    }

    function close() {
      panel.hidden = true;
      if (current) {
        activeTile(current, false);
        current.setAttribute("aria-expanded", "false");
        current.focus();
      }
      current = null;
    }

    function open(button) {
      if (current === button && !panel.hidden) {
        close();
        return;
      }
      if (current) {
        activeTile(current, false);
        current.setAttribute("aria-expanded", "false");
      }
      current = button;
      activeTile(button, true);
      button.setAttribute("aria-expanded", "true");
      work.textContent = "“" + button.getAttribute("data-title") + "”";
      newForm.reset();
      panel.hidden = false;
      place(button);
      load(Number(button.getAttribute("data-quick-save")));
      panel.querySelector("[data-quick-save-close]").focus();
    }

    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-quick-save]");
      if (button) {
        event.preventDefault();
        open(button);
      } else if (!panel.hidden && !panel.contains(event.target)) {
        close();
      }
    });
    panel.querySelector("[data-quick-save-close]").addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close();
    });
    newForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!current) return;
      var name = nameField.value.trim();
      if (!name) {
        say(t("Name the new lightbox first."), true);
        nameField.focus();
        return;
      }
      var assetId = Number(current.getAttribute("data-quick-save"));
      var saved = await save({ asset_id: assetId, name: name }, name);
      if (saved) {
        newForm.reset();
        var item = document.createElement("li");
        item.appendChild(pickButton({ id: saved.lightbox.id, name: saved.lightbox.name, has_asset: true, item_count: 1 }, assetId));
        list.prepend(item);
        list.hidden = false;
      }
    });
  }

  function init() {
    initRecent();
    initFilters();
    initQuickSave();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
