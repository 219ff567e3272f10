/* Co-op Stock — the cart changes a line's licence or size in place (templates/orders/cart.html).
 *
 * Each line's form[data-cart-choice] posts licence and size to /cart/add, which answers with a
 * redirect to the cart. Here the form is sent as soon as a choice changes (fetch follows the
 * redirect), and the cart ([data-cart]) is replaced by the one in the answer, so prices and the
 * total are the server's, the page does not jump, and focus stays on the choice just made. The
 * server's message is read out through [data-cart-status]. Without JavaScript the form has an
 * Update button and works by a normal post.
 */
(function () {
  "use strict";

  var cart = document.querySelector("[data-cart]");
  if (!cart || !window.fetch || !window.DOMParser) return;

  function replaceCart(html, focusId) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-cart]");
    if (!fresh) {
      window.location.reload();
      return;
    }
    cart.innerHTML = fresh.innerHTML;
    var said = doc.querySelector(".flash__text, .flash");
    var status = cart.querySelector("[data-cart-status]");
    if (status && said) status.textContent = said.textContent.trim();
    var again = focusId && document.getElementById(focusId);
    if (again) again.focus();
  }

  cart.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-cart-choice]");
    if (!form) return;
    form.classList.add("is-saving");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        replaceCart(html, event.target.id);
      })
      .catch(function () {
        // Let the browser do it the plain way: the server says what went wrong.
        form.submit();
      });
  });
})();
