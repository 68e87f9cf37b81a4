"""Errors as the API server reports them: `Status` objects, never an HTML page."""

from typing import Any


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class HttpError(Exception):
    """Raised anywhere while answering a request; the handler sends `body` with its code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.body = status(code, reason, message, details)

    @property
    def code(self) -> int:
        return self.body["code"]


def not_found(resource: str, group: str, name: str) -> HttpError:
    shown = f"{resource}.{group}" if group else resource
    details = {"name": name, "group": group, "kind": resource}
    return HttpError(404, "NotFound", f'{shown} "{name}" not found', details)
