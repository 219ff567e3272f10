/* The language page, reached from a switcher on a page cached for everyone (which carries no
 * CSRF token): the language was already chosen there, so press its button at once. */
(function () {
  "use strict";
  var chosen = document.querySelector("button[data-autosubmit]");
  if (chosen) chosen.click();
})();
