"""Content-Security-Policy on every response: scripts run only from this site's own files.

Pages, the admin, the API and its Swagger UI, error pages and static files all get the same
policy, so markup injected through some future mistake cannot run script: no inline <script>,
no on* attribute, no javascript: URL, no eval. Data for the pages' modules travels in
json_script elements (type application/json), which the browser never executes.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Styles may be inline: ECharts writes style attributes into its tooltips' markup (the
        # colour markers, the arrow) and drf-spectacular's Swagger page has a <style> element;
        # neither can carry a nonce. Inline styles cannot run script.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # the admin's and Swagger UI's icons include data: URIs
        "font-src 'self'",
        # fetch() and the live WebSocket: CSP 3 lets 'self' match ws:/wss: to the same host.
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds POLICY to every response that does not set a policy of its own."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.setdefault(HEADER, POLICY)
        return response
