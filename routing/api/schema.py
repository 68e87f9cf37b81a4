"""OpenAPI helpers (error responses, shared parameters) and the schema and docs views."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.serializers import ErrorSerializer

_DESCRIPTIONS = {
    400: "Invalid input (see error.details for each field).",
    401: "No credentials, or a wrong or expired token.",
    403: "The user lacks the role this needs, or a browser request lacks its CSRF token.",
    404: "No such cluster (or none the user may see), snapshot, Service or page.",
    409: "Another refresh of this cluster's volumes is running.",
    413: "The upload is larger than TRAFFICLENS_UPLOAD_MAX_BYTES.",
    415: "Unsupported Content-Type.",
    502: "The cluster's Prometheus gave no usable answer (the message says why).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for extend_schema: 401 and 403 always, plus the codes given."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in sorted({401, 403, *codes})
    }


CLUSTER = OpenApiParameter(
    "cluster", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cluster's name (slug)."
)
SEQ = OpenApiParameter(
    "seq", OpenApiTypes.INT, OpenApiParameter.PATH, description="The snapshot's seq."
)


# An APIView itself (both views that mix it in are one already, so their MRO is the same) so that
# the type checker knows the handle_exception() it extends.
class JsonErrorsMixin(APIView):
    """Errors as JSON in the one error shape, whatever the page renders when it succeeds."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; `?format=json` or `Accept: application/json` for JSON)."""

    role_anywhere = True  # a role on some clusters is enough to read how the API works


class DocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI over the schema, with its assets served by this site. The split view serves
    its start-up script as a file (`?script`) instead of inline, as the CSP requires. The page
    is drf-spectacular's with a bar leading back to the app (templates/api/docs.html)."""

    role_anywhere = True
    template_name = "api/docs.html"
