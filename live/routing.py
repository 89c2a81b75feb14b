from django.urls import path

from live.consumers import CandidateConsumer

websocket_urlpatterns = [
    path("ws/candidats/<int:candidate_id>/", CandidateConsumer.as_asgi()),
]
