// Checkout pages: a form marked data-submit-once sends once. Its buttons are disabled while
// the next page loads (the server also gives one order per checkout, so this is only to
// spare the shopper a confusing second click). Without JavaScript the forms work as is.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-submit-once]");
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      var submitter = event.submitter;
      // A disabled button is left out of the posted data: carry its name and value.
      if (submitter && submitter.name) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        carried.dataset.carried = "true";
        form.appendChild(carried);
      }
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        if (button === submitter && button.dataset.busyLabel) {
          button.dataset.label = button.textContent;
          button.textContent = button.dataset.busyLabel;
        }
      });
    });
  });

  // The one-page checkout's address forms: choosing another country re-shows the fields for
  // it (its states or provinces, its postal code) by pressing the form's "Update" button,
  // which pages without JavaScript show for the shopper to press.
  document.querySelectorAll(".country-update").forEach(function (button) {
    var select = button.form && button.form.querySelector("select[name$='country']");
    if (!select) { return; }
    button.hidden = true;
    select.addEventListener("change", function () { button.click(); });
  });

  // Coming back with the Back button shows the page from the browser's memory: make its
  // forms usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    forms.forEach(function (form) {
      delete form.dataset.submitted;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("input[data-carried]").forEach(function (input) { input.remove(); });
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = button.hasAttribute("data-stays-disabled");
        if (button.dataset.label) { button.textContent = button.dataset.label; }
      });
    });
  });
})();
