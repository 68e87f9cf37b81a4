"""WebSocket URL patterns for Channels (not `routing.py`: `routing` is the domain app's name).

Consumers arrive with the live-updates issue.
"""

websocket_urlpatterns: list = []
