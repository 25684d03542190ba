/* The check-in screen: fetch a fresh QR (an SVG fragment) when the token's 30-second window ends. */
(function () {
  "use strict";
  var box = document.getElementById("qr-live");
  if (!box || !window.fetch) { return; }

  function schedule(seconds) {
    var wait = Math.min(Math.max(Number(seconds) || 25, 1), 30);
    window.setTimeout(refresh, wait * 1000 + 300);
  }

  function refresh() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        var live = box.querySelector("[data-seconds-left]");
        schedule(live ? live.getAttribute("data-seconds-left") : 25);
      })
      .catch(function () { schedule(5); });
  }

  schedule(box.getAttribute("data-seconds-left"));
})();
