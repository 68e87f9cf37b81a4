"""`manage.py check --deploy` on the production settings: only the warnings docs/security.md
documents as deliberate remain, for a TLS deployment and for compose's plain-http default."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "lens.example.com",
    "TRUST_PROXY_HEADERS": "true",
}
# Why each stays is in docs/security.md ("Deploy checks").
DELIBERATE_OVER_HTTPS = {"security.W005", "security.W021"}  # HSTS subdomains, preload: opt-in
DELIBERATE_PLAIN_HTTP = {"security.W004", "security.W008", "security.W012", "security.W016"}


def deploy_warnings(**env: str) -> set[str]:
    child = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"],
        cwd=ROOT,
        env={**child, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", result.stdout + result.stderr))


@pytest.mark.parametrize(
    ("env", "deliberate"),
    [
        ({"SERVED_OVER_HTTPS": "true", "SECURE_HSTS_SECONDS": "31536000"}, DELIBERATE_OVER_HTTPS),
        ({}, DELIBERATE_PLAIN_HTTP),
    ],
    ids=["https", "plain-http"],
)
def test_only_documented_deploy_warnings_remain(env, deliberate):
    assert deploy_warnings(**env) == deliberate


def test_every_deliberate_warning_is_explained_in_the_docs():
    text = (ROOT / "docs" / "security.md").read_text()
    for check in sorted(DELIBERATE_OVER_HTTPS | DELIBERATE_PLAIN_HTTP):
        assert check in text, f"{check} is not explained in docs/security.md"
