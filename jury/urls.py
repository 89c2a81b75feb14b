from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from jury import views

app_name = "jury"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("sessions/<id:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<id:session_id>/attribuer/", views.session_assign, name="session_assign"),
    path("sessions/<id:session_id>/publier/", views.session_publish, name="session_publish"),
    path("sessions/<id:session_id>/depublier/", views.session_unpublish, name="session_unpublish"),
    path(
        "sessions/<id:session_id>/archives/<slug:kind>.pdf",
        views.session_record,
        name="session_record",
    ),
    path("questions/", views.item_statistics, name="item_statistics"),
    path("questions/recalibration/", views.recalibration, name="recalibration"),
    path(
        "questions/statistiques.<str:fmt>",
        views.item_statistics_file,
        name="item_statistics_file",
    ),
    path(
        "sessions/<id:session_id>/archives/scans/<id:record_id>/",
        views.session_scan,
        name="session_scan",
    ),
    path("signalements/<id:report_id>/traiter/", views.report_resolve, name="report_resolve"),
]
