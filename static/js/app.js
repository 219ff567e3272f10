/* Co-op Stock — progressive enhancement only. The site works without this file.
 *
 *  - mobile navigation toggle ([data-nav-toggle] controls the element named by aria-controls)
 *  - confirm() before submitting form[data-confirm] or clicking button[data-confirm]
 *  - dismiss buttons on flash messages ([data-dismiss="flash"])
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  /* ---- Navigation toggle ---- */
  function setupNavToggle(toggle) {
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) return;

    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    }

    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });

    // Going back to a wide screen: forget the open state so it doesn't linger.
    var wide = window.matchMedia("(min-width: 56rem)");
    var onChange = function (event) {
      if (event.matches) setOpen(false);
    };
    if (wide.addEventListener) wide.addEventListener("change", onChange);
    else if (wide.addListener) wide.addListener(onChange);
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
    var toggles = document.querySelectorAll("[data-nav-toggle]");
    for (var i = 0; i < toggles.length; i++) setupNavToggle(toggles[i]);
    setupConfirm();
    setupFlashes();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
