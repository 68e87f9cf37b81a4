"""The pages' URLs. A cluster's pages live under /clusters/<name>/, one tab each."""

from django.urls import path

from dashboard.pages import (
    accounts,
    clusters,
    compare,
    recommendations,
    service,
    services,
    settings_page,
    timeline,
    topology,
    upload,
)

CLUSTER = "clusters/<slug:cluster>/"

urlpatterns = [
    path("", clusters.overview, name="clusters"),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", accounts.SignOutView.as_view(), name="logout"),
    path("upload/", upload.upload_page, name="upload"),
    path(CLUSTER, topology.cluster_page, name="cluster"),
    path(CLUSTER + "services/", services.services_page, name="services"),
    path(
        CLUSTER + "services/<str:namespace>/<str:name>/",
        service.service_page,
        name="service",
    ),
    path(CLUSTER + "timeline/", timeline.timeline_page, name="timeline"),
    path(CLUSTER + "compare/", compare.compare_page, name="compare"),
    path(
        CLUSTER + "recommendations/", recommendations.recommendations_page, name="recommendations"
    ),
    path(CLUSTER + "settings/", settings_page.settings_page, name="settings"),
]
