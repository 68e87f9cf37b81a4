"""WebSocket URL patterns for Channels (not `routing.py`: `routing` is the domain app's name)."""

from django.urls import path

from routing.live.consumers import ClusterConsumer

websocket_urlpatterns = [
    path("ws/clusters/", ClusterConsumer.as_asgi()),
    path("ws/clusters/<slug:cluster>/", ClusterConsumer.as_asgi()),
]
