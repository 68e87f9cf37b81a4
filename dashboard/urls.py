"""URL configuration: the dashboard pages, health check, admin, the REST API (/api/v1/), metrics."""

from django.contrib import admin
from django.urls import include, path

from dashboard import views
from routing.api.metrics_view import MetricsView

urlpatterns = [
    path("", include("dashboard.pages.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("routing.api.urls")),
    path("metrics", MetricsView.as_view(), name="metrics"),
]
