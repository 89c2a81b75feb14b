from django.urls import path

from jury import views

app_name = "jury"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/attribuer/", views.session_assign, name="session_assign"),
    path("sessions/<int:session_id>/publier/", views.session_publish, name="session_publish"),
    path("sessions/<int:session_id>/depublier/", views.session_unpublish, name="session_unpublish"),
    path(
        "sessions/<int:session_id>/archives/<slug:kind>.pdf",
        views.session_record,
        name="session_record",
    ),
    path(
        "sessions/<int:session_id>/archives/scans/<int:record_id>/",
        views.session_scan,
        name="session_scan",
    ),
    path("signalements/<int:report_id>/traiter/", views.report_resolve, name="report_resolve"),
]
