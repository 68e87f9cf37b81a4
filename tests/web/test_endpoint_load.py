"""Endpoints show their load (issue 13 item 6), in a browser: a bar against the fair share on
each endpoint kube-proxy uses, the overloaded one red and its ratio the report's maxOverload."""

from playwright.sync_api import expect
from rest_framework.test import APIClient

from tests.web.conftest import screenshot, sign_in


def test_the_overloaded_endpoint_is_obvious(page, web_server, viewer, shop):
    client = APIClient()
    client.force_authenticate(viewer)
    detail = client.get("/api/v1/clusters/shop/services/shop/inventory/").json()
    flows = detail["flows"]
    assert flows["maxOverload"] > 1.5
    sign_in(page, web_server, viewer, "/clusters/shop/services/shop/inventory/")
    bars = page.locator("#endpoints .load")
    expect(bars).to_have_count(len(flows["endpointLoad"]))
    over = page.locator("#endpoints .load--over")
    expect(over).to_have_count(
        sum(
            1
            for load in flows["endpointLoad"].values()
            if load / (max(flows["endpointLoad"].values()) / flows["maxOverload"]) > 1.5
        )
    )
    busiest = max(flows["endpointLoad"], key=flows["endpointLoad"].get)
    item = page.locator(f'#endpoints .endpoint[data-ip="{busiest}"] .load')
    assert abs(float(item.get_attribute("data-ratio")) - flows["maxOverload"]) < 1e-9
    expect(item).to_have_class("load load--over")
    expect(item).to_contain_text(f"{flows['maxOverload']:.2f}× of fair share")
    page.locator("#endpoints").screenshot(
        path=str(screenshot(page, "endpoint-load-1440").parent / "endpoint-load-box.png")
    )
