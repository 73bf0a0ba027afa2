"""With the Content-Security-Policy on, the storefront, checkout, the account's order page
and the admin load in Chromium without one violation (securitypolicyviolation events or
"Refused to ..." console errors)."""

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from tests.factories import UserFactory
from tests.returns import conftest as returns_fixtures

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(browser):
    """new() -> (page, problems): a page whose CSP violations and console errors are kept."""
    contexts = []

    def new():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        # Failed loads are reported by the response listener below, with their URL (the
        # browser's own /favicon.ico probe, a 404 on admin pages, is not a page's doing).
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error"
                and not message.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
        page.on("response", lambda response: problems.append(
            f"{response.status}: {response.url}") if response.status >= 400 else None)
        return page, problems

    yield new
    for context in contexts:
        context.close()


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def visit(page, problems, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    found = violations(page) + problems
    assert not found, f"{url}: {found}"


def test_no_csp_violations_across_the_shop_and_admin(watched, live_server, catalog,
                                                    delivered_order, png_bytes):
    catalog_services.add_product_image(product=catalog["shirt"], content=png_bytes(),
                                       alt_text="Linen shirt")
    shopper = UserFactory(username="ada@example.com", email="ada@example.com",
                          password=PASSWORD)
    order = delivered_order(user=shopper, shirts=1, mugs=1)
    page, problems = watched()

    # The watcher does catch a violation (an inline style attribute on the storefront).
    page.goto(live_server.url)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in violations(page))
    problems.clear()

    visit(page, problems, f"{live_server.url}/")
    visit(page, problems, f"{live_server.url}{catalog['shirt'].get_absolute_url()}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert not violations(page) + problems
    visit(page, problems, f"{live_server.url}/cart/")

    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    for path in ["/checkout/contact/", "/account/", f"/account/orders/{order.number}/",
                 f"/account/orders/{order.number}/return/", "/account/addresses/"]:
        visit(page, problems, f"{live_server.url}{path}")

    UserFactory(username="root", is_staff=True, is_superuser=True, password=PASSWORD)
    admin, admin_problems = watched()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("root")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url("**/admin/")
    shipment = order.shipments.first()
    for path in ["/admin/", f"/admin/orders/order/{order.pk}/change/",
                 "/admin/fulfillment/shipment/",
                 f"/admin/fulfillment/shipment/{shipment.pk}/change/",
                 f"/admin/catalog/product/{catalog['shirt'].pk}/change/",
                 "/admin/catalog/category/", "/admin/webhooks/webhookendpoint/add/"]:
        visit(admin, admin_problems, f"{live_server.url}{path}")
