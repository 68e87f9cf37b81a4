"""clients=measured in the browser: an admin switches the cluster's client weighting on the
settings page (the API then says so); once a fetch with callers' zones re-analyses the cluster,
the Service page says its clients were placed where its measured callers run, with the zone
shares and the cross-zone figure the API stores.
Screenshot: build/test-screenshots/clients-measured.png.
"""

import pytest

from dashboard.pages.format import pct
from routing.models import Cluster
from routing.volumes.measured_clients import reanalyse
from routing.volumes.models import MeasuredVolume
from tests.web.conftest import api_json, screenshot, sign_in
from tests.web.measured import stored_fetch, traffic_source

ZONES = {"us-east-1b": 0.8, "us-east-1c": 0.2}


def test_an_admin_switches_to_measured_clients_on_the_settings_page(
    page, web_server, admin_user, shop
):
    sign_in(page, web_server, admin_user, "/clusters/shop/settings/")
    select = page.locator("#clients-basis")
    assert select.input_value() == "cpu"
    select.select_option("measured")
    page.click("#save-clients")
    page.wait_for_selector("#clients-status:has-text('Saved: measured')")
    assert api_json(admin_user, "/api/v1/clusters/shop/")["clients"] == "measured"
    assert Cluster.objects.get(name="shop").clients == "measured"
    screenshot(page, "clients-settings")


def test_viewers_see_the_weighting_but_cannot_change_it(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/settings/")
    assert page.locator("#clients-basis").is_disabled()
    assert page.locator("#save-clients").count() == 0


@pytest.fixture
def measured_catalog(shop):
    traffic_source(shop, preset="istio")
    Cluster.objects.filter(pk=shop.pk).update(clients=Cluster.Clients.MEASURED)
    fetch = stored_fetch(shop, {("shop", "catalog"): 800.0, ("shop", "cart"): 300.0})
    MeasuredVolume.objects.filter(fetch=fetch, name="catalog").update(client_zones=ZONES)
    snapshot = reanalyse(shop)
    assert snapshot is not None
    return snapshot


def test_the_service_page_says_where_measured_clients_run(
    page, web_server, viewer, measured_catalog
):
    detail = api_json(viewer, "/api/v1/clusters/shop/services/shop/catalog/")
    assert detail["flows"]["clientWeights"] == "measured"
    assert detail["flows"]["clientZoneWeights"] == pytest.approx(ZONES)
    sign_in(page, web_server, viewer, "/clusters/shop/services/shop/catalog/")
    page.wait_for_selector("#stat-cross-zone-source")
    assert page.locator("#stat-cross-zone").inner_text() == pct(
        detail["flows"]["crossZoneFraction"]
    )
    said = page.locator("#stat-cross-zone-source").inner_text()
    assert (
        said
        == "clients in the zones their measured callers run in: us-east-1b 80.0%, us-east-1c 20.0%"
    )
    screenshot(page, "clients-measured")
    # A Service without callers' zones says the cluster's basis it fell back to.
    page.goto(f"{web_server.url}/clusters/shop/services/shop/cart/")
    page.wait_for_selector("#stat-cross-zone-source")
    assert (
        page.locator("#stat-cross-zone-source").inner_text()
        == "clients weighted by allocatable CPU"
    )
