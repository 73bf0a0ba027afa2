// Category filters: a <details> panel that opens and closes without JavaScript. It is
// closed in the page so a phone shows products first; on a wide screen, where the panel
// sits beside the products, this opens it.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 821px)");
  document.querySelectorAll("details[data-open-wide]").forEach(function (panel) {
    if (wide.matches) { panel.open = true; }
  });
})();
