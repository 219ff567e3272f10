/* The signed-in person's own parts of a page cached for every signed-in viewer
 * (marketplace/personal_parts.py): each [data-personal] placeholder is replaced by the part
 * fetched, all at once, from /fragments/personal. Until then, or without JavaScript, the
 * placeholders hold plain links to the account, the cart and the lightboxes. */
(function () {
  "use strict";
  var holders = document.querySelectorAll("[data-personal]");
  if (!holders.length || !window.fetch) return;
  var query = Array.prototype.map
    .call(holders, function (holder) {
      return "part=" + encodeURIComponent(holder.getAttribute("data-personal"));
    })
    .join("&");
  fetch("/fragments/personal?" + query, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      return response.ok ? response.text() : "";
    })
    .then(function (html) {
      if (!html) return;
      var parsed = new DOMParser().parseFromString(html, "text/html");
      Array.prototype.forEach.call(holders, function (holder) {
        var wanted = holder.getAttribute("data-personal");
        var found = Array.prototype.find.call(parsed.querySelectorAll("template"), function (t) {
          return t.getAttribute("data-part") === wanted;
        });
        if (!found) return;
        holder.replaceWith(document.importNode(found.content, true));
      });
      document.dispatchEvent(new CustomEvent("personal:parts-loaded"));
    })
    .catch(function () {
      /* The plain links stay: the page still works. */
    });
})();
