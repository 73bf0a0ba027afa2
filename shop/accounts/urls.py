# Replaced by the account pages.
from django.http import HttpResponse
from django.urls import path

app_name = "account"
urlpatterns = [
    path("account/login/", lambda request: HttpResponse("login"), name="login"),
    path("account/", lambda request: HttpResponse("account"), name="dashboard"),
    path("account/orders/<str:number>/", lambda request, number: HttpResponse(""), name="order"),
    path("orders/view/<str:signature>/", lambda request, signature: HttpResponse(""),
         name="guest_order"),
]
