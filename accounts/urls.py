from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

import lib.ids  # noqa: F401 - registers the « id » path converter
from accounts import views

app_name = "accounts"

urlpatterns = [
    path("inscription/", views.register, name="register"),
    path(
        "inscription/envoyee/",
        TemplateView.as_view(template_name="accounts/register_sent.html"),
        name="register_sent",
    ),
    path("inscription/activer/<str:token>/", views.register_confirm, name="register_confirm"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("liens/<id:link_id>/retirer/", views.remove_identity_link, name="remove_identity_link"),
    path("fournisseurs/<slug:key>/connexion/", views.provider_sign_in, name="provider_sign_in"),
    path("oidc/<slug:key>/retour/", views.oidc_callback, name="oidc_callback"),
    path("saml/metadata/", views.saml_metadata, name="saml_metadata"),
    path("saml/<slug:key>/acs/", views.saml_acs, name="saml_acs"),
    path("saml/<slug:key>/acs/suite/", views.saml_continue, name="saml_continue"),
    path("saml/<slug:key>/sls/", views.saml_sls, name="saml_sls"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
