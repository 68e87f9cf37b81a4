"""TrafficLens Django project: settings, URLs, ASGI/WSGI entry points and the web pages."""

from dashboard.celery import app as celery_app

__all__ = ["celery_app"]
