from django.urls import path

from results import views

app_name = "results"

urlpatterns = [
    path("resultats/<int:certificate_id>/", views.result, name="result"),
    path(
        "resultats/<int:certificate_id>/certificat.pdf",
        views.certificate_pdf,
        name="certificate_pdf",
    ),
    path("verifier/", views.verify, name="verify"),
    path(
        "sessions/<int:session_id>/resultats.<str:kind>",
        views.session_export,
        name="session_export",
    ),
    path(
        "centres/<int:centre_id>/resultats/",
        views.establishment_results,
        name="establishment",
    ),
    path(
        "centres/<int:centre_id>/resultats.<str:kind>",
        views.establishment_export,
        name="establishment_export",
    ),
]
