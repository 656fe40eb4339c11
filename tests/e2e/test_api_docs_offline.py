"""``/api/docs/`` works without the internet (issue 9, point 7: Swagger UI was fetched from a CDN, so the
page was blank offline) and, logged out, leads to the login page instead of a bare 401."""

import re
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.e2e.conftest import ARTIFACTS, PASSWORD, login_page
from tests.factories import UserFactory

CDN = re.compile(r"cdn\.|jsdelivr|unpkg|cdnjs|googleapis|https?://(?!127\.0\.0\.1)", re.I)


def block_other_hosts(page, base: str) -> list[str]:
    """Abort every request that leaves this site, and remember it."""
    own = urlsplit(base).netloc
    left = []

    def route(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == own:
            return route.continue_()
        left.append(url)
        return route.abort()

    page.route("**/*", route)
    return left


def test_api_docs_render_with_the_network_to_other_hosts_blocked(stack, browser):
    page = login_page(browser, stack.base, username="docs-reader", role="manager", next_path="/")
    left = block_other_hosts(page, stack.base)
    loaded = []
    page.on("requestfinished", lambda r: loaded.append(r.url))
    response = page.goto(stack.base + "/api/docs/")
    assert response.status == 200
    page.wait_for_function("() => document.querySelectorAll('.opblock').length > 0", timeout=20000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/events/").count() >= 1
    assert left == []  # nothing was even asked of another host
    html = response.text()
    assert CDN.search(html) is None, CDN.search(html)
    for url in loaded:
        if url.endswith((".js", ".css")):
            assert urlsplit(url).netloc == urlsplit(stack.base).netloc, url
            body = page.request.get(url).text()
            assert "cdn.jsdelivr" not in body and "unpkg.com" not in body, url
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in loaded), loaded
    page.screenshot(path=str(ARTIFACTS / "api-docs-offline.png"))


def test_api_docs_logged_out_lead_to_the_login_page(stack, browser):
    page = browser.new_page(locale="en-GB")
    block_other_hosts(page, stack.base)
    statuses = []
    page.on("response", lambda r: statuses.append((r.status, urlsplit(r.url).path)))
    response = page.goto(stack.base + "/api/docs/")
    assert (302, "/api/docs/") in statuses and not any(status == 401 for status, _ in statuses), statuses
    assert response.status == 200
    assert page.url == f"{stack.base}/accounts/login/?next=/api/docs/"
    assert page.locator("#id_username").count() == 1 and page.locator("#id_password").count() == 1
    # logging in there brings the reader back to the docs
    user = UserFactory(username="docs-later", role="wfm")
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    page.fill("#id_username", "docs-later")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{stack.base}/api/docs/")
    page.wait_for_function("() => document.querySelectorAll('.opblock').length > 0", timeout=20000)
