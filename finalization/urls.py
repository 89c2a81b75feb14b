from django.urls import path

from finalization import views

app_name = "finalization"

urlpatterns = [
    path("sessions/<int:session_id>/finaliser/", views.session_finalize, name="session_finalize"),
    path(
        "sessions/<int:session_id>/archives/<slug:kind>.pdf",
        views.session_record,
        name="session_record",
    ),
    path("sessions/<int:session_id>/archives/scans/", views.scan_attach, name="scan_attach"),
    path(
        "sessions/<int:session_id>/archives/scans/<int:record_id>/",
        views.session_scan,
        name="session_scan",
    ),
]
