from django.urls import path

from invigilation import views

app_name = "invigilation"

urlpatterns = [
    path("", views.enter, name="enter"),
    path("sessions/<int:session_id>/", views.session_page, name="session"),
    path("sessions/<int:session_id>/entrer/", views.enter_as_member, name="enter_as_member"),
    path("sessions/<int:session_id>/quitter/", views.leave, name="leave"),
    path("sessions/<int:session_id>/kit.pdf", views.kit, name="kit"),
]
