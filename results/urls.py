from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from results import views

app_name = "results"

urlpatterns = [
    path("resultats/<id:certificate_id>/", views.result, name="result"),
    path(
        "resultats/<id:certificate_id>/certificat.pdf",
        views.certificate_pdf,
        name="certificate_pdf",
    ),
    path("verifier/", views.verify, name="verify"),
    path(
        "sessions/<id:session_id>/resultats.<str:kind>",
        views.session_export,
        name="session_export",
    ),
    path(
        "centres/<id:centre_id>/resultats/",
        views.establishment_results,
        name="establishment",
    ),
    path(
        "centres/<id:centre_id>/resultats.<str:kind>",
        views.establishment_export,
        name="establishment_export",
    ),
]
