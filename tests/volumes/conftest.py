"""The API tests' users and token clients, for the volume tests that read the API."""

from tests.api.conftest import make_user, token_client

__all__ = ["make_user", "token_client"]
