// The member code rotates every step: reload the card at the next step while it is shown,
// and at once when the page comes back into view (research/china-ecosystem.md §3.2).
(function () {
  "use strict";
  var card = document.querySelector("[data-step-seconds]");
  if (!card) { return; }
  var step = parseInt(card.getAttribute("data-step-seconds"), 10) * 1000;
  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (document.visibilityState === "visible") { window.location.reload(); }
    }, step - (Date.now() % step) + 200);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { window.location.reload(); } else { clearTimeout(timer); }
  });
  schedule();
})();
