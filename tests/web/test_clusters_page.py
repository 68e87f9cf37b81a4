"""The clusters overview: each cluster's card shows its stored figures and follows it live."""

from django.utils import timezone

from routing.figures.traffic import flow_map
from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from routing.snapshots.intake import DUMP_COMMAND
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in
from tests.web.flashes import RECORD_FLASHES


def snapshot_event(page, cluster: str, seq: int) -> None:
    """What live.js dispatches when the socket hears of a committed snapshot."""
    page.evaluate(
        "([cluster, seq]) => document.dispatchEvent("
        "new CustomEvent('tl:snapshot', {detail: {cluster, seq}}))",
        [cluster, seq],
    )


def pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def card(page, name: str):
    return page.locator(f'.cluster-card[data-cluster="{name}"]')


def value(locator, role: str) -> str:
    return locator.locator(f'[data-role="{role}"]').get_attribute("data-value")


def test_each_cluster_shows_its_stored_figures(page, web_server, viewer, shop):
    contact = timezone.now().replace(microsecond=0)
    Cluster.objects.filter(pk=shop.pk).update(status="watching", last_contact_at=contact)
    Cluster.objects.create(
        name="edge",
        source="kubeconfig",
        status="stale",
        status_message="the API refuses connections",
    )
    sign_in(page, web_server, viewer, "/")
    assert page.locator(".cluster-card").count() == 2

    snapshot = shop.latest_snapshot()
    flows = flow_map(snapshot)
    shop_card = card(page, "shop")
    link = shop_card.get_by_role("link", name="Demo shop")
    assert link.get_attribute("href") == "/clusters/shop/"
    badge = shop_card.locator('[data-role="status"]')
    assert badge.inner_text().lower() == "watching" and "badge--watching" in badge.get_attribute(
        "class"
    )
    assert (
        contact.strftime("%Y-%m-%d %H:%M:%S")
        in shop_card.locator('[data-role="contact"]').inner_text()
    )
    assert int(value(shop_card, "services")) == snapshot.services
    # The same figure, and words, as the topology page's headline (flow map, not Service mean).
    assert float(value(shop_card, "cross-zone")) == flows["crossZoneFraction"]
    assert shop_card.locator('[data-role="cross-zone"]').inner_text() == pct(
        flows["crossZoneFraction"]
    )
    assert "of forwarded traffic crosses zones" in shop_card.inner_text()
    cost = shop_card.locator('[data-role="cost"]')
    assert cost.get_attribute("data-kind") == "per-gb"
    assert float(value(shop_card, "cost-value")) == flows["costPerGbMean"]
    assert f"${flows['costPerGbMean']:.4f}/GB" in cost.inner_text()
    assert "no traffic measured" in cost.inner_text()
    assert (
        cost.get_by_role("link", name="measure or set volumes in Settings").get_attribute("href")
        == "/clusters/shop/settings/#traffic-source"
    )
    assert int(value(shop_card, "snapshot")) == snapshot.seq
    zones = shop_card.locator(
        '[data-role="zones"] li[data-region="us-east-1"] .tag'
    ).all_inner_texts()
    assert zones == sorted(snapshot.cluster_report["zones"])

    edge = card(page, "edge")
    assert edge.locator('[data-role="status"]').get_attribute("data-status") == "stale"
    assert "the API refuses connections" in edge.inner_text()
    assert edge.locator('[data-role="waiting"]').is_visible()
    assert edge.locator('[data-role="figures"]').is_hidden()
    screenshot(page, "clusters")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "clusters-narrow")


def test_no_clusters_explains_how_to_add_one(page, web_server, viewer):
    sign_in(page, web_server, viewer, "/")
    empty = page.locator("#clusters-empty")
    assert empty.get_by_role("heading", name="No clusters yet").is_visible()
    assert empty.get_by_role("link", name="Upload page").get_attribute("href") == "/upload/"
    assert DUMP_COMMAND in empty.inner_text()
    screenshot(page, "clusters-empty")


def after_hello(page) -> None:
    """Wait for the socket's hello (which sets every badge) so a test's own event comes last."""
    page.wait_for_function("() => window.__hello || document.body.dataset.liveState === 'offline'")


def test_the_status_badge_follows_the_cluster(page, web_server, viewer, shop):
    page.add_init_script(
        "document.addEventListener('tl:live', (e) => {"
        " if (e.detail.type === 'hello') window.__hello = true; })"
    )
    sign_in(page, web_server, viewer, "/")
    after_hello(page)
    page.evaluate(
        """document.dispatchEvent(new CustomEvent('tl:status', {detail: {cluster: 'shop',
             status: 'stale', message: 'watch failed: 401'}}))"""
    )
    shop_card = card(page, "shop")
    badge = shop_card.locator('[data-role="status"]')
    assert badge.get_attribute("data-status") == "stale"
    assert badge.inner_text().lower() == "stale"
    assert "badge--stale" in badge.get_attribute("class")
    assert shop_card.locator('[data-role="status-message"]').inner_text() == "watch failed: 401"


def test_a_new_snapshot_refreshes_its_card(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/")
    shop_card = card(page, "shop")
    assert value(shop_card, "snapshot") == "2"
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="checkout", monthly_gb=20000)
    changed = DEMO_DUMP.read_text().replace('"PreferSameZone"', '"PreferSameNode"')
    import_dump(shop, changed.encode())
    # A watcher records contact with each snapshot (routing.jobs.ingest.record_contact).
    contact = timezone.now().replace(microsecond=0)
    Cluster.objects.filter(pk=shop.pk).update(last_contact_at=contact)
    snapshot = shop.latest_snapshot()
    flows = flow_map(snapshot)
    assert flows["monthlyCost"] is not None
    page.evaluate(RECORD_FLASHES)
    snapshot_event(page, "shop", 3)
    page.wait_for_selector('.cluster-card[data-cluster="shop"][data-seq="3"]:not([aria-busy])')
    assert value(shop_card, "snapshot") == "3"
    # What the snapshot changed flashed; the Service count, the same, did not.
    flashed = page.evaluate("window.__flashed")
    assert "#3" in flashed and str(snapshot.services) not in flashed, flashed
    assert shop_card.locator('[data-role="contact"]').is_visible()
    assert (
        contact.strftime("%Y-%m-%d %H:%M:%S")
        in shop_card.locator('[data-role="contact"]').inner_text()
    )
    cost = shop_card.locator('[data-role="cost"]')
    assert cost.get_attribute("data-kind") == "monthly"
    assert float(value(shop_card, "cost-value")) == flows["monthlyCost"]
    assert float(value(shop_card, "cross-zone")) == flows["crossZoneFraction"]
    assert shop_card.locator('[data-role="cross-zone"]').inner_text() == pct(
        flows["crossZoneFraction"]
    )
    assert int(value(shop_card, "services")) == snapshot.services
    assert "a month crossing zones" in cost.inner_text()
