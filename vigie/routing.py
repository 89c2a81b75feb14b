from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from certification.consumers import CandidateConsumer
from invigilation.consumers import SessionConsumer, WallConsumer

websocket_urlpatterns = [
    path("ws/candidats/<id:candidate_id>/", CandidateConsumer.as_asgi()),
    path("ws/surveillance/<id:session_id>/", SessionConsumer.as_asgi()),
    path("ws/surveillance/<id:session_id>/salle/", WallConsumer.as_asgi()),
]
