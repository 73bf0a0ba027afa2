"""The REST API, mounted at /api/ by shop.urls (schema and docs sit beside it there)."""

from django.urls import path

from . import checkout, inventory, orders, views

app_name = "api"

urlpatterns = [
    path("categories/", views.CategoryListApi.as_view(), name="category-list"),
    path("categories/<slug:slug>/products/", views.CategoryProductListApi.as_view(),
         name="category-products"),
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("products/<slug:slug>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("search/", views.SearchApi.as_view(), name="search"),
    path("carts/", checkout.CartCreateApi.as_view(), name="cart-create"),
    path("carts/<uuid:token>/", checkout.CartDetailApi.as_view(), name="cart-detail"),
    path("carts/<uuid:token>/lines/", checkout.CartLinesApi.as_view(), name="cart-lines"),
    path("carts/<uuid:token>/lines/<int:variant_id>/", checkout.CartLineApi.as_view(),
         name="cart-line"),
    path("carts/<uuid:token>/email/", checkout.CartEmailApi.as_view(), name="cart-email"),
    path("carts/<uuid:token>/shipping-address/", checkout.CartShippingAddressApi.as_view(),
         name="cart-shipping-address"),
    path("carts/<uuid:token>/billing-address/", checkout.CartBillingAddressApi.as_view(),
         name="cart-billing-address"),
    path("carts/<uuid:token>/shipping-method/", checkout.CartShippingMethodApi.as_view(),
         name="cart-shipping-method"),
    path("carts/<uuid:token>/voucher/", checkout.CartVoucherApi.as_view(), name="cart-voucher"),
    path("carts/<uuid:token>/order/", checkout.CartOrderApi.as_view(), name="cart-order"),
    path("orders/", orders.OrderListApi.as_view(), name="order-list"),
    path("orders/<uuid:token>/", orders.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<uuid:order_token>/payments/", checkout.OrderPaymentApi.as_view(),
         name="order-payments"),
    path("orders/<uuid:order_token>/payments/<uuid:payment_token>/authenticate/",
         checkout.PaymentAuthenticateApi.as_view(), name="payment-authenticate"),
    # Staff only, for integrations.
    path("stock-levels/", inventory.StockLevelListApi.as_view(), name="stock-level-list"),
    path("purchase-orders/", inventory.PurchaseOrderListApi.as_view(),
         name="purchase-order-list"),
    path("purchase-orders/<int:pk>/", inventory.PurchaseOrderDetailApi.as_view(),
         name="purchase-order-detail"),
    path("purchase-orders/<int:pk>/send/", inventory.PurchaseOrderSendApi.as_view(),
         name="purchase-order-send"),
    path("purchase-orders/<int:pk>/receipts/", inventory.PurchaseOrderReceiptApi.as_view(),
         name="purchase-order-receipts"),
]
