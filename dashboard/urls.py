"""URL configuration: admin, health check and the dashboard pages."""

from django.contrib import admin
from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
