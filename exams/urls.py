from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from exams import views

app_name = "exams"

urlpatterns = [
    path("centres/<id:centre_id>/sessions/", views.session_list, name="session_list"),
    path("centres/<id:centre_id>/parametres/", views.centre_settings, name="centre_settings"),
    path("centres/<id:centre_id>/sessions/nouvelle/", views.session_create, name="session_create"),
    path("centres/<id:centre_id>/sessions/import/", views.session_import, name="session_import"),
    path(
        "centres/<id:centre_id>/sessions/modele.<str:kind>",
        views.session_template,
        name="session_template",
    ),
    path("centres/<id:centre_id>/eleves/", views.pupils, name="pupils"),
    path("centres/<id:centre_id>/jetons/", views.platform_tokens, name="platform_tokens"),
    path(
        "centres/<id:centre_id>/jetons/<id:token_id>/revoquer/",
        views.platform_token_revoke,
        name="platform_token_revoke",
    ),
    path(
        "centres/<id:centre_id>/eleves/modele.<str:kind>",
        views.pupils_template,
        name="pupils_template",
    ),
    path("sessions/<id:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<id:session_id>/modifier/", views.session_edit, name="session_edit"),
    path("sessions/<id:session_id>/supprimer/", views.session_delete, name="session_delete"),
    path("sessions/<id:session_id>/candidats/ajouter/", views.candidate_add, name="candidate_add"),
    path(
        "sessions/<id:session_id>/candidats/import/",
        views.candidate_import,
        name="candidate_import",
    ),
    path(
        "sessions/<id:session_id>/candidats/modele.<str:kind>",
        views.candidate_template,
        name="candidate_template",
    ),
    path(
        "sessions/<id:session_id>/documents/<slug:kind>.pdf",
        views.session_document,
        name="session_document",
    ),
    path("candidats/<id:candidate_id>/modifier/", views.candidate_edit, name="candidate_edit"),
    path("candidats/<id:candidate_id>/supprimer/", views.candidate_delete, name="candidate_delete"),
]
