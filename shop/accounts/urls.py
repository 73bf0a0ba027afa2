from django.urls import path, re_path

from . import email_preferences, returns, substitutes, views

app_name = "account"
urlpatterns = [
    path("account/", views.dashboard, name="dashboard"),
    path("account/login/", views.login, name="login"),
    path("account/logout/", views.logout, name="logout"),
    path("account/register/", views.register, name="register"),
    path("account/register/sent/", views.register_done, name="register_done"),
    path("account/activate/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("account/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("account/password-reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("account/password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("account/password-reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("account/orders/", views.orders, name="orders"),
    re_path(r"^account/orders/(?P<number>[0-9A-Za-z-]{1,20})/$", views.order_detail,
            name="order"),
    re_path(r"^account/orders/(?P<number>[0-9A-Za-z-]{1,20})/invoice\.pdf$",
            views.order_invoice, name="order_invoice"),
    re_path(r"^account/orders/(?P<number>[0-9A-Za-z-]{1,20})/return/$", returns.request_return,
            name="order_return"),
    re_path(r"^account/orders/(?P<number>[0-9A-Za-z-]{1,20})/returns/(?P<return_number>RMA-[0-9]{1,12})"
            r"/label\.pdf$", returns.return_label, name="return_label"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/email-preferences/", email_preferences.email_preferences,
         name="email_preferences"),
    path("account/addresses/new/", views.address_form, name="address_add"),
    path("account/addresses/<int:pk>/edit/", views.address_form, name="address_edit"),
    path("account/addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("orders/view/<str:signature>/", views.guest_order, name="guest_order"),
    path("orders/view/<str:signature>/invoice.pdf", views.guest_invoice, name="guest_invoice"),
    path("orders/substitute/<str:signature>/", substitutes.substitute_offer,
         name="substitute_offer"),
    path("orders/view/<str:signature>/return/", returns.guest_request_return,
         name="guest_order_return"),
    re_path(r"^orders/view/(?P<signature>[^/]+)/returns/(?P<return_number>RMA-[0-9]{1,12})/label\.pdf$",
            returns.guest_return_label, name="guest_return_label"),
]
