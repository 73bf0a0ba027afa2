// Stripe pay page: mounts the Payment Element and confirms the PaymentIntent. Card details go
// from the browser straight to Stripe; this shop never sees them. Reads its settings from
// data- attributes (no inline script, so the page works under a strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("stripe-payment-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  var message = document.getElementById("payment-message");
  var button = document.getElementById("stripe-submit");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) {
          message.textContent = result.error.message;
          message.hidden = false;
          button.disabled = false;
        }
      });
  });
})();
