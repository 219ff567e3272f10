/* One view of the asset page, told to the server (templates/assets/_view_beacon.html). A beacon
 * survives the visitor leaving the page; fetch with keepalive where beacons are missing. */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-view-url");
  if (!url) return;
  if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
  if (window.fetch) fetch(url, { method: "POST", credentials: "same-origin", keepalive: true });
})();
