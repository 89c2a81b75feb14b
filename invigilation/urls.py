from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from invigilation import views

app_name = "invigilation"

urlpatterns = [
    path("", views.enter, name="enter"),
    path("sessions/<id:session_id>/", views.session_page, name="session"),
    path("sessions/<id:session_id>/entrer/", views.enter_as_member, name="enter_as_member"),
    path("sessions/<id:session_id>/quitter/", views.leave, name="leave"),
    path("sessions/<id:session_id>/kit.pdf", views.kit, name="kit"),
]
