# Replaced by the cart and checkout pages.
from django.http import HttpResponse
from django.urls import path

app_name = "checkout"
urlpatterns = [path("cart/", lambda request: HttpResponse("cart"), name="cart")]
