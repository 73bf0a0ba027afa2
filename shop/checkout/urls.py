from django.urls import path

from . import views

# Every page of the storefront's buying path, from the cart to the thank-you page.

app_name = "checkout"
urlpatterns = [
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.add, name="add"),
    path("cart/update/", views.update, name="update"),
    path("cart/remove/", views.remove, name="remove"),
    path("checkout/", views.start, name="start"),
    path("checkout/contact/", views.contact, name="contact"),
    path("checkout/address/", views.address, name="address"),
    path("checkout/shipping/", views.shipping, name="shipping"),
    path("checkout/billing/", views.billing, name="billing"),
    path("checkout/review/", views.review, name="review"),
    path("checkout/voucher/", views.voucher, name="voucher"),
    path("order/<uuid:token>/pay/", views.pay, name="pay"),
    path("order/<uuid:token>/authenticate/<uuid:payment_token>/", views.authenticate,
         name="authenticate"),
    path("order/<uuid:token>/stripe-return/", views.stripe_return, name="stripe_return"),
    path("order/<uuid:token>/thanks/", views.confirmation, name="confirmation"),
]
