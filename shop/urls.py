from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from shop.backoffice import courier
from shop.storefront import seo, tracking, views
from shop.storefront.contact import contact as contact_form
from shop.web import pages
from shop.web.rate_limits import posted_email, rate_limited

# The whole admin (orders, stock, the KPI dashboards) carries the shop's name, not
# "Django administration"; read when a page is drawn, so a changed SHOP_NAME shows.
admin.site.site_header = lazy(lambda: f"{settings.SHOP_NAME} admin", str)()
admin.site.site_title = lazy(lambda: settings.SHOP_NAME, str)()
admin.site.index_title = lazy(lambda: f"{settings.SHOP_NAME}: orders, stock and figures", str)()

storefront_patterns = (
    [
        path("", views.home, name="home"),
        path("c/<slug:slug>/", views.category_detail, name="category"),
        path("p/<slug:slug>/", views.product_detail, name="product"),
        path("search/", views.search, name="search"),
        path("pages/<slug:slug>/", views.page_detail, name="page"),
        path("contact/", contact_form, name="contact"),
    ],
    "storefront",
)

urlpatterns = [
    path("", include(storefront_patterns)),
    path("", include("shop.storefront.review_urls")),
    path("sitemap.xml", sitemap, {"sitemaps": seo.SITEMAPS}, name="sitemap"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("", include("shop.checkout.urls")),
    path("", include("shop.accounts.urls")),
    path("payments/", include("payments.urls")),
    path("fulfillment/", include("fulfillment.urls")),
    path("email/", include("marketing.urls")),
    # The admin's login form, rate limited like the shop's (matched before the admin's own).
    path(f"{settings.ADMIN_URL}login/",
         rate_limited("login", account=posted_email)(admin.site.login), name="admin-login"),
    path("dashboard/", include("shop.dashboard.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("shop.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The documentation pages are HTML for a browser: GET and HEAD only (DRF's OPTIONS
    # answer would go to their HTML renderer, which has no template for it).
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema",
                                                     http_method_names=["get", "head"]),
         name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema",
                                                    http_method_names=["get", "head"]),
         name="api-redoc"),
    path("track/<str:signature>/", tracking.tracking, name="tracking"),
    path("courier/", courier.courier, name="courier"),
    path("healthz", pages.health, name="health"),
]

if settings.SERVE_MEDIA:
    # Public media only: product photos. Private documents live outside MEDIA_ROOT
    # (kernel.storage), and anything else left under it (labels/ and return-labels/ of a
    # shop not yet moved by `manage.py move_private_documents`) is not served.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>products/.*)$", serve,
                {"document_root": settings.MEDIA_ROOT}),
    ]

handler404 = "shop.api.page_not_found"  # JSON under /api/, the HTML page elsewhere
handler500 = "shop.web.unavailable.server_error"  # a 503 when the database dropped
