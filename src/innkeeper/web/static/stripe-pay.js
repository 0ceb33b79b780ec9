// The card page with Stripe (web/guest/stripe_pay.py; no inline scripts: the CSP forbids them).
// Once the page has the payment's client secret (it polls until the intent exists), this mounts Stripe's
// Payment Element in #payment-element and confirms the payment with Stripe from the browser: card
// details go to Stripe only, never to us. The booking page shows the confirmation once Stripe's webhook
// has arrived. Stripe.js itself is loaded by the page from https://js.stripe.com (Stripe requires it).
(function () {
  "use strict";

  function say(box, text) {
    var out = box.querySelector("#stripe-message");
    if (out) { out.textContent = text || ""; }
  }

  function mount() {
    var box = document.getElementById("stripe-pay");
    if (!box || !box.hasAttribute("data-client-secret") || box.hasAttribute("data-mounted")) { return; }
    box.setAttribute("data-mounted", "true");
    var form = box.querySelector("form");
    var button = form.querySelector("button[type=submit]");
    if (typeof window.Stripe !== "function") {  // blocked or offline: say so instead of a dead button
      button.disabled = true;
      say(box, box.getAttribute("data-unavailable-text"));
      return;
    }
    var stripe = window.Stripe(box.getAttribute("data-publishable-key"), {
      locale: box.getAttribute("data-locale") || "auto"
    });
    var elements = stripe.elements({ clientSecret: box.getAttribute("data-client-secret") });
    elements.create("payment").mount("#payment-element");
    var bookingUrl = new URL(box.getAttribute("data-booking-url"), window.location.href).href;
    // methods that leave the page (a bank's page) come back here, which forwards to the booking page
    var returnUrl = new URL(box.getAttribute("data-return-url"), window.location.href).href;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      say(box, "");
      stripe.confirmPayment({
        elements: elements,
        confirmParams: { return_url: returnUrl },
        redirect: "if_required"
      }).then(function (result) {
        if (result.error) {  // Stripe's own message, in the page's language
          say(box, result.error.message);
          button.disabled = false;
          return;
        }
        window.location.assign(bookingUrl);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", mount);
  document.addEventListener("htmx:afterSettle", mount);
})();
