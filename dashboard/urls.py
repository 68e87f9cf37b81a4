"""URL configuration: admin, health check, the dashboard pages and the REST API (/api/v1/)."""

from django.contrib import admin
from django.urls import include, path

from dashboard import views
from routing.api.metrics_view import MetricsView

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("routing.api.urls")),
    path("metrics", MetricsView.as_view(), name="metrics"),
]
