from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.panel, name="index"),
    path("<slug:key>/", views.panel, name="panel"),
    path("<slug:key>/<slug:table>.csv", views.export, name="export"),
]
