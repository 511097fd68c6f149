"""The console needs the token even on loopback: the URL orch serve prints logs in with one click."""

from playwright.sync_api import Browser, Page, expect

from harness import OrchHost
from ui import expect_connected, open_console


def test_the_printed_url_logs_in_with_one_click(page: Page, host: OrchHost, shots):
    assert host.console_url and host.console_url.startswith(f"{host.url}/login#token=")
    open_console(page, host)
    shots("logged-in")
    # The token left the address bar and the history entry; the cookie holds it, out of the page's reach.
    assert page.url == f"{host.url}/"
    assert "token" not in page.evaluate("() => location.href")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["orch_token"]["httpOnly"] and cookies["orch_token"]["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie") == ""
    page.go_back()
    assert "#token" not in page.url


def test_without_the_token_the_console_asks_for_it(browser: Browser, host: OrchHost, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(host.url)
        page.wait_for_url(f"{host.url}/login")
        expect(page.get_by_label("Token")).to_be_visible()
        page.get_by_label("Token").fill("not-the-token-at-all")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("That token is not right.")
        page.get_by_label("Token").fill(host.token or "")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{host.url}/")
        expect_connected(page)
    finally:
        context.close()


def test_the_printed_url_still_works_after_a_restart(page: Page, host: OrchHost):
    first = host.console_url
    host.stop()
    host.start()
    assert host.console_url == first, "the token file is reused"
    open_console(page, host)


def test_the_form_works_without_script(browser: Browser, host: OrchHost, viewport: dict):
    """The page's own referrer policy makes the form's POST carry the real Origin, which the Origin check needs."""
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{host.url}/login")
        page.get_by_label("Token").fill(host.token or "")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{host.url}/")
        assert "orch_token" in {cookie["name"] for cookie in context.cookies()}
    finally:
        context.close()
