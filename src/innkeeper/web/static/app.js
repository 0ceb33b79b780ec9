// Innkeeper's own script (no inline scripts anywhere: the Content-Security-Policy forbids them).
// The hold countdown: every [data-expires] element shows the time left until that instant.
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-expires"));
      if (isNaN(until)) { return; }
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      var out = el.querySelector(".countdown") || el;
      if (left === 0) {
        out.textContent = el.getAttribute("data-expired-text") || "";
        return;
      }
      var minutes = Math.floor(left / 60), seconds = left % 60;
      out.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
