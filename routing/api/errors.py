"""One error shape for every API error, and the API's own exceptions.

    {"error": {"status": 400, "code": "invalid", "message": "one line", "details": {...}}}

`code` is stable and machine-readable (DRF's codes: not_authenticated, authentication_failed,
permission_denied, not_found, method_not_allowed, parse_error, unsupported_media_type, ...;
`invalid` for validation errors; `too_large` and `invalid_dump` for uploads). `details` holds
the field errors of a validation error (field -> list of messages) and is `{}` otherwise,
unless an exception carries details of its own.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"

    def __init__(self, limit: int):
        super().__init__(f"The upload is larger than the limit of {limit} bytes.")
        self.details = {"limit": limit}


class InvalidDump(exceptions.APIException):
    """A dump the engine cannot read; the message is the one `manage.py analyze` prints."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The dump is not a readable set of Kubernetes objects."
    default_code = "invalid_dump"

    def __init__(self, message: str, details: dict[str, Any]):
        super().__init__(message)
        self.details = details


def _first_message(detail: Any, path: str = "") -> str:
    """The first leaf message of a (nested) validation error, prefixed with its field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            where = key if key == "non_field_errors" else f"{path}.{key}" if path else key
            found = _first_message(value, "" if where == "non_field_errors" else where)
            if found:
                return found
        return ""
    if isinstance(detail, list):
        for i, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            found = _first_message(value, f"{path}[{i}]" if nested else path)
            if found:
                return found
        return ""
    return f"{path}: {detail}" if path else str(detail)


def error_body(status_code: int, code: str, message: str, details: Any = None) -> dict:
    return {
        "error": {
            "status": status_code,
            "code": code,
            "message": message,
            "details": details if details is not None else {},
        }
    }


def exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler (status, headers such as WWW-Authenticate and Allow), then our shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not an API error: a 500, left to Django (logged, with its page)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(detail) or "Invalid input."
        response.data = error_body(response.status_code, "invalid", message, detail)
        return response
    code = exc.get_codes()
    if not isinstance(code, str):
        code = exc.default_code
    message = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
    details = getattr(exc, "details", None)
    response.data = error_body(response.status_code, code, str(message), details)
    return response
