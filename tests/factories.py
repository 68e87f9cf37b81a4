"""What many tests build: the demo dump shipped in examples/, and users holding a role.

One source for both, so every test signs in the same kinds of users and reads the same dump.
"""

from pathlib import Path

from django.contrib.auth.models import Group, User

ROLES = ("viewer", "editor", "admin")
PASSWORD = "correct horse battery staple"

DEMO_DUMP = Path(__file__).resolve().parents[1] / "examples" / "demo-shop.json"


def demo_with_checkout_hinted() -> bytes:
    """The demo dump after the EndpointSlice controller catches up on shop/checkout: its one
    endpoint without a zone hint (10.1.2.4) gets one, so zone filtering applies (66.7% -> 0%)."""
    import orjson

    doc = orjson.loads(DEMO_DUMP.read_bytes())
    for item in doc["items"]:
        labels = item["metadata"].get("labels") or {}
        if (
            item["kind"] == "EndpointSlice"
            and labels.get("kubernetes.io/service-name") == "checkout"
        ):
            for endpoint in item["endpoints"]:
                if endpoint["addresses"] == ["10.1.2.4"]:
                    endpoint["hints"] = {"forZones": [{"name": "us-east-1c"}]}
    return orjson.dumps(doc)


def ensure_roles() -> None:
    """The role groups; a transactional test's flush removes the ones the migration made."""
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def user_with_role(username: str, role: str | None, password: str = PASSWORD) -> User:
    """A user in the role's group; role "superuser" makes a superuser, None a user with no role."""
    if role == "superuser":
        return User.objects.create_superuser(username, password=password)
    user = User.objects.create_user(username, password=password)
    if role is not None:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def summary_row(model, cluster, name: str, **fields):
    """A ServiceSummary row of `model` (the current one, or a migration's historical one) for
    Service shop/`name`: plain figures, open from seq 1, unless `fields` say otherwise."""
    row = {
        "namespace": "shop",
        "first_seq": 1,
        "content_hash": name,
        "mechanism": "none",
        "policy": "none",
        "internal_traffic_policy": "Cluster",
        "cross_zone_fraction": 0.5,
        "cross_region_fraction": 0.0,
        "dropped": 0.0,
        "max_overload": 1.0,
        "cost_per_gb": 0.01,
    }
    return model.objects.create(cluster=cluster, name=name, **{**row, **fields})
