"""TrafficLens Django project: settings, URLs, ASGI/WSGI entry points and the web pages."""
