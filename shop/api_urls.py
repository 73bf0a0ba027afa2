"""The REST API, mounted at /api/ by shop.urls (schema and docs sit beside it there)."""

from django.urls import path

from .api import views

app_name = "api"

urlpatterns = [
    path("categories/", views.CategoryListApi.as_view(), name="category-list"),
    path("categories/<slug:slug>/products/", views.CategoryProductListApi.as_view(),
         name="category-products"),
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("products/<slug:slug>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("search/", views.SearchApi.as_view(), name="search"),
]
