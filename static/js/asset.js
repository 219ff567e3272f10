/* Co-op Stock — the asset page's licence and size picker (templates/assets/detail.html).
 *
 * form[data-asset-picker] holds radio cards named "licence" and "size"; each size input carries
 * its price per licence as data-price-<licence> (already formatted by the server, so the page
 * never does money arithmetic). On every change this shows:
 *   - each size's price under the chosen licence ([data-size-price]),
 *   - the chosen licence × size in the button ([data-chosen-price]),
 *   - what the chosen licence allows (ul[data-rights-for=<licence>], the others hidden).
 * Without JavaScript the form still works: the server renders the first choice's prices.
 */
(function () {
  "use strict";

  function checkedValue(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function update(form) {
    var licence = checkedValue(form, "licence");
    if (!licence) return;
    var sizes = form.querySelectorAll('input[name="size"]');
    for (var i = 0; i < sizes.length; i++) {
      var price = sizes[i].getAttribute("data-price-" + licence);
      var label = sizes[i].closest("label");
      var shown = label && label.querySelector("[data-size-price]");
      if (shown && price) shown.textContent = price;
      if (sizes[i].checked && price) {
        var total = form.querySelector("[data-chosen-price]");
        if (total) total.textContent = price;
      }
    }
    var rights = form.querySelectorAll("[data-rights-for]");
    for (var j = 0; j < rights.length; j++) {
      rights[j].hidden = rights[j].getAttribute("data-rights-for") !== licence;
    }
  }

  var pickers = document.querySelectorAll("form[data-asset-picker]");
  for (var k = 0; k < pickers.length; k++) {
    var form = pickers[k];
    form.addEventListener("change", function (event) {
      update(event.currentTarget);
    });
    // The browser may restore other choices on "back": show their prices.
    update(form);
  }
})();
