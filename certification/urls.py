from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from certification import views

app_name = "certification"

urlpatterns = [
    path("rejoindre/", views.join, name="join"),
    path("candidats/<id:candidate_id>/instructions/", views.instructions, name="instructions"),
    path("candidats/<id:candidate_id>/commencer/", views.start, name="start"),
    path("tests/<id:course_id>/", views.test, name="test"),
    path("media/<str:name>", views.media, name="media"),
]
