from django.urls import path

from live.consumers import CandidateConsumer, SessionConsumer

websocket_urlpatterns = [
    path("ws/candidats/<int:candidate_id>/", CandidateConsumer.as_asgi()),
    path("ws/surveillance/<int:session_id>/", SessionConsumer.as_asgi()),
]
