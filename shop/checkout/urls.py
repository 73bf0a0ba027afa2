from django.urls import path

from . import cart_views, one_page_views, payment_views, recovery_views, steps_views

# Every page of the storefront's buying path, from the cart to the thank-you page.

app_name = "checkout"
urlpatterns = [
    path("cart/", cart_views.cart_page, name="cart"),
    path("cart/add/", cart_views.add, name="add"),
    path("cart/update/", cart_views.update, name="update"),
    path("cart/remove/", cart_views.remove, name="remove"),
    # The link in the abandoned-checkout email (marketing.recovery).
    path("cart/restore/<str:token>/", recovery_views.restore_cart, name="restore_cart"),
    # The one-page checkout; the step pages below stay as fallbacks.
    path("checkout/", one_page_views.one_page, name="start"),
    path("checkout/contact/", steps_views.contact, name="contact"),
    path("checkout/address/", steps_views.address, name="address"),
    path("checkout/shipping/", steps_views.shipping, name="shipping"),
    path("checkout/billing/", steps_views.billing, name="billing"),
    path("checkout/review/", steps_views.review, name="review"),
    path("checkout/voucher/", steps_views.voucher, name="voucher"),
    path("order/<uuid:token>/pay/", payment_views.pay, name="pay"),
    path("order/<uuid:token>/authenticate/<uuid:payment_token>/", payment_views.authenticate,
         name="authenticate"),
    path("order/<uuid:token>/stripe-return/", payment_views.stripe_return, name="stripe_return"),
    path("order/<uuid:token>/thanks/", payment_views.confirmation, name="confirmation"),
]
