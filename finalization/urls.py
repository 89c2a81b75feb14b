from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from finalization import views

app_name = "finalization"

urlpatterns = [
    path("sessions/<id:session_id>/finaliser/", views.session_finalize, name="session_finalize"),
    path(
        "sessions/<id:session_id>/archives/<slug:kind>.pdf",
        views.session_record,
        name="session_record",
    ),
    path("sessions/<id:session_id>/archives/scans/", views.scan_attach, name="scan_attach"),
    path(
        "sessions/<id:session_id>/archives/scans/<id:record_id>/",
        views.session_scan,
        name="session_scan",
    ),
    path(
        "sessions/<id:session_id>/archives/scans/<id:record_id>/retirer/",
        views.scan_remove,
        name="scan_remove",
    ),
]
