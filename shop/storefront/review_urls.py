"""The review pages (``shop.storefront.reviews``), under the "reviews" namespace."""

from django.urls import path, re_path

from . import reviews as views

app_name = "reviews"
urlpatterns = [
    path("reviews/write/<str:signature>/", views.invitation, name="invitation"),
    re_path(r"^account/orders/(?P<number>[0-9A-Za-z-]{1,20})/review/$", views.for_order,
            name="for_order"),
    path("p/<slug:slug>/reviews/", views.product_reviews, name="product"),
]
