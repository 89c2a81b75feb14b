from django.urls import path

from certification.consumers import CandidateConsumer
from invigilation.consumers import SessionConsumer

websocket_urlpatterns = [
    path("ws/candidats/<int:candidate_id>/", CandidateConsumer.as_asgi()),
    path("ws/surveillance/<int:session_id>/", SessionConsumer.as_asgi()),
]
