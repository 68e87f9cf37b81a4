"""The API's URLs, mounted at /api/v1/: one router for the viewsets, explicit paths for the rest."""

from django.urls import path, re_path
from rest_framework import routers

from routing.api import (
    compare_views,
    namespace_views,
    schema,
    service_views,
    snapshot_views,
    timeseries_views,
    token_views,
    traffic_views,
    views,
    volume_views,
    whatif_views,
)

app_name = "api"

CLUSTER = r"clusters/(?P<cluster>[-a-zA-Z0-9_]+)"


class APIRootView(routers.APIRootView):
    """/api/v1/: the list of endpoints, for anyone with a role on some cluster."""

    role_anywhere = True


router = routers.DefaultRouter()
router.APIRootView = APIRootView
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register(f"{CLUSTER}/snapshots", snapshot_views.SnapshotViewSet, basename="snapshot")
router.register(f"{CLUSTER}/services", service_views.ServiceViewSet, basename="service")
router.register("tokens", token_views.TokenViewSet, basename="token")

urlpatterns = [
    path("health", views.HealthView.as_view(), name="health"),
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", schema.DocsView.as_view(url_name="api:schema"), name="docs"),
    path(
        "clusters/<slug:cluster>/services/<str:namespace>/<str:service>/",
        service_views.ServiceDetailView.as_view(),
        name="service-detail",
    ),
    path(
        "clusters/<slug:cluster>/services/<str:namespace>/<str:service>/volume/",
        traffic_views.VolumeView.as_view(),
        name="service-volume",
    ),
    path(
        "clusters/<slug:cluster>/services/<str:namespace>/<str:service>/timeseries/",
        timeseries_views.ServiceTimeSeriesView.as_view(),
        name="service-timeseries",
    ),
    path(
        "clusters/<slug:cluster>/services/<str:namespace>/<str:service>/what-if/",
        whatif_views.WhatIfView.as_view(),
        name="service-what-if",
    ),
    path("clusters/<slug:cluster>/prices/", traffic_views.PricesView.as_view(), name="prices"),
    path(
        "clusters/<slug:cluster>/traffic-source/",
        volume_views.TrafficSourceView.as_view(),
        name="traffic-source",
    ),
    path(
        "clusters/<slug:cluster>/volumes/refresh/",
        volume_views.RefreshVolumesView.as_view(),
        name="volumes-refresh",
    ),
    path(
        "clusters/<slug:cluster>/volumes/fetches/",
        volume_views.VolumeFetchListView.as_view(),
        name="volume-fetches",
    ),
    path("clusters/<slug:cluster>/compare/", compare_views.CompareView.as_view(), name="compare"),
    path("clusters/<slug:cluster>/flowmap/", traffic_views.FlowMapView.as_view(), name="flowmap"),
    path(
        "clusters/<slug:cluster>/top-services/",
        traffic_views.PolicyServicesView.as_view(),
        name="top-services",
    ),
    path(
        "clusters/<slug:cluster>/namespaces/",
        namespace_views.NamespaceRollupView.as_view(),
        name="namespaces",
    ),
    path(
        "clusters/<slug:cluster>/recommendations/",
        traffic_views.RecommendationsView.as_view(),
        name="recommendations",
    ),
    path(
        "clusters/<slug:cluster>/timeseries/",
        timeseries_views.ClusterTimeSeriesView.as_view(),
        name="timeseries",
    ),
    *router.urls,
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="not-found"),  # newlines too
]
