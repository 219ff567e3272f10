/* Co-op Stock — progressive enhancement only. The site works without this file.
 *
 *  - header menus (details[data-menu]): one open at a time, closed by Escape or a click elsewhere
 *  - confirm() before submitting form[data-confirm] or clicking button[data-confirm]
 *  - dismiss buttons on flash messages ([data-dismiss="flash"])
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  /* ---- Header menus (details[data-menu]) ---- */
  // A <details> opens and closes by itself; this adds what a menu is expected to do:
  // one open at a time, closed by a click elsewhere or by Escape (focus back on its button).
  function setupMenus() {
    // Delegated from the document (toggle does not bubble, so it is caught on the way down):
    // menus filled in after load (a page's personal parts, marketplace.page_cache) work too.
    function closeAll(except) {
      var menus = document.querySelectorAll("details[data-menu][open]");
      for (var i = 0; i < menus.length; i++) {
        if (menus[i] !== except) menus[i].open = false;
      }
    }
    document.addEventListener(
      "toggle",
      function (event) {
        var menu = event.target;
        if (menu.matches && menu.matches("details[data-menu]") && menu.open) closeAll(menu);
      },
      true
    );
    document.addEventListener("click", function (event) {
      var inside = event.target.closest("details[data-menu]");
      closeAll(inside);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var open = document.querySelector("details[data-menu][open]");
      if (!open) return;
      open.open = false;
      var summary = open.querySelector("summary");
      if (summary) summary.focus();
    });
  }

  /* ---- Confirmation before destructive actions ---- */
  function setupConfirm() {
    // Buttons carry their own question; asked on click, before the form submits.
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-confirm]");
      if (!button || button.disabled) return;
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopPropagation();
      }
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      // Already asked by the button that submitted the form.
      var submitter = event.submitter;
      if (submitter && submitter.hasAttribute("data-confirm")) return;
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }

  /* ---- Dismissible flash messages ---- */
  function setupFlashes() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest('[data-dismiss="flash"]');
      if (!button) return;
      var flash = button.closest(".flash");
      if (!flash) return;
      var container = flash.parentElement;
      flash.remove();
      if (container && container.classList.contains("flashes") && !container.querySelector(".flash")) {
        container.remove();
      }
      // Keep keyboard focus somewhere sensible rather than on a removed element.
      var main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
    });
  }

  function init() {
    setupMenus();
    setupConfirm();
    setupFlashes();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
