// Product page: the variant picker updates price, availability and SKU without a reload,
// and the gallery thumbnails swap the main photo. Without JavaScript the picker is a
// GET form the server answers with the chosen variant.
(function () {
  "use strict";
  var dataNode = document.getElementById("variant-data");
  var picker = document.getElementById("variant-picker");
  if (dataNode && picker) {
    var variants = JSON.parse(dataNode.textContent);
    var price = document.getElementById("variant-price");
    var compareAt = document.getElementById("variant-compare-at");
    var availability = document.getElementById("variant-availability");
    var sku = document.getElementById("variant-sku");
    var variantInput = document.getElementById("variant-id");
    var cartVariant = document.getElementById("cart-variant-id");
    var addButton = document.getElementById("add-to-cart");
    var setBuyable = function (buyable) {
      if (addButton) {
        addButton.disabled = !buyable;
        addButton.textContent = buyable ? "Add to cart" : "Sold out";
      }
    };
    var selects = picker.querySelectorAll("select[data-position]");

    var chosenOptions = function () {
      var chosen = {};
      selects.forEach(function (select) { chosen["option" + select.dataset.position] = select.value; });
      return chosen;
    };
    var matches = function (variant, chosen) {
      return Object.keys(chosen).every(function (key) { return variant.options[key] === chosen[key]; });
    };
    var show = function (variant) {
      // "Back in stock around ..." belongs to one sold-out variant on order.
      document.querySelectorAll("[data-restock-for]").forEach(function (node) {
        node.hidden = !(variant && variant.availability === "out_of_stock" &&
                        node.dataset.restockFor === String(variant.id));
      });
      // "Order within ..., arrives ...": the chosen variant's, from the warehouse shipping it.
      document.querySelectorAll("[data-promise-for]").forEach(function (node) {
        node.hidden = !(variant && node.dataset.promiseFor === String(variant.id));
      });
      if (!variant) {
        price.textContent = "Unavailable";
        compareAt.hidden = true;
        availability.className = "availability availability-out_of_stock";
        availability.textContent = "This combination is not available";
        setBuyable(false);
        return;
      }
      price.textContent = variant.price;
      compareAt.textContent = variant.compareAt;
      compareAt.hidden = !variant.compareAt;
      availability.className = "availability availability-" + variant.availability;
      availability.textContent = variant.availabilityLabel;
      sku.textContent = variant.sku;
      variantInput.value = variant.id;
      if (cartVariant) { cartVariant.value = variant.id; }
      setBuyable(variant.availability !== "out_of_stock");
      var url = new URL(window.location.href);
      url.search = "";
      url.searchParams.set("variant", variant.id);
      window.history.replaceState(null, "", url);
    };
    // Mark each option value "(sold out)" when, with the other values as chosen, there is
    // no variant that can be bought (the server marks the first choice the same way).
    var markSoldOut = function () {
      var chosen = chosenOptions();
      selects.forEach(function (select) {
        var key = "option" + select.dataset.position;
        Array.prototype.forEach.call(select.options, function (option) {
          var wanted = Object.assign({}, chosen);
          wanted[key] = option.value;
          var buyable = variants.some(function (variant) {
            return matches(variant, wanted) && variant.availability !== "out_of_stock";
          });
          var label = option.dataset.label || option.value;
          option.textContent = buyable ? label : label + " (sold out)";
          option.toggleAttribute("data-sold-out", !buyable);
        });
      });
    };
    picker.addEventListener("change", function () {
      var chosen = chosenOptions();
      show(variants.find(function (variant) { return matches(variant, chosen); }));
      markSoldOut();
    });
    picker.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  var main = document.getElementById("gallery-main-image");
  document.querySelectorAll(".gallery-thumb").forEach(function (button) {
    button.addEventListener("click", function () {
      main.src = button.dataset.large;
      main.alt = button.dataset.alt;
      document.querySelectorAll(".gallery-thumb").forEach(function (other) {
        other.removeAttribute("aria-current");
      });
      button.setAttribute("aria-current", "true");
    });
  });
})();
