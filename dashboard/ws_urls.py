"""WebSocket URL patterns for Channels (not `routing.py`: `routing` is the domain app's name)."""

from django.urls import path

from routing.live.consumers import ClusterConsumer

# django-stubs' path() takes only Django views, not the ASGI apps Channels routes by path (its
# documented use); typeddjango/django-stubs#3354 proposed the overload but was closed.
websocket_urlpatterns = [
    path("ws/clusters/", ClusterConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/clusters/<slug:cluster>/", ClusterConsumer.as_asgi()),  # type: ignore[arg-type]
]
