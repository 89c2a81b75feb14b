from django.urls import path

from certification import views

app_name = "certification"

urlpatterns = [
    path("rejoindre/", views.join, name="join"),
    path("candidats/<int:candidate_id>/instructions/", views.instructions, name="instructions"),
    path("candidats/<int:candidate_id>/commencer/", views.start, name="start"),
    path("tests/<int:course_id>/", views.test, name="test"),
    path("media/<str:name>", views.media, name="media"),
]
