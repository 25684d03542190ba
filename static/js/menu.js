/* The site menu on a phone: folded behind the 菜单 button (static/css/site.css, "The header").
   Loaded in <head> without defer so that the page is marked before its first paint and a phone
   never shows the menu open and then folding; without script the menu stays open. No inline
   script: the Content-Security-Policy allows none. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-button");
    var bar = button && button.closest(".topbar");
    if (!bar) return;
    button.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("menu-open")) {
        bar.classList.remove("menu-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  });
})();
