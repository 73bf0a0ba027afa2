from django.urls import path

from . import views

app_name = "fulfillment"
urlpatterns = [path("carrier/webhook/", views.carrier_webhook, name="carrier_webhook")]
