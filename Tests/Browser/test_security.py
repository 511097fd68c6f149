"""Replies are model output, which a prompt injection can steer: they render, inert."""

from playwright.sync_api import Page, expect

from harness import wait_for
from ui import last_reply, open_console, send

PAYLOAD = (
    "Here is a table of **results**:\n\n"
    "<script>window.__xss = 'script'</script>\n\n"
    "<img src=x onerror=\"window.__xss = 'img'\">\n\n"
    "Inline <a href=\"javascript:window.__xss='href'\" onclick=\"window.__xss='click'\">click me</a> too.\n\n"
    "<iframe src=\"javascript:window.parent.__xss='frame'\"></iframe>\n\n"
    "A [markdown link](javascript:void(window.__xss=1)) and an image: ![tracker](http://127.0.0.1:9/pixel.png)\n\n"
    "```python\nprint('hello')\n```"
)


def test_a_reply_with_an_xss_payload_renders_inert(page: Page, host, loopback, shots):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_console(page, host)
    loopback.enqueue(text=PAYLOAD)
    send(page, "Show me the results")
    reply = last_reply(page)
    expect(reply).to_have_attribute("data-state", "final", timeout=30_000)
    expect(reply.locator("strong")).to_have_text("results")
    shots("payload-rendered")

    assert page.evaluate("() => window.__xss") is None, "no script, handler or javascript: URL ran"
    body = reply.locator(".bubble-body")
    for selector in ("script", "img", "iframe", "[onerror]", "[onclick]", 'a[href^="javascript"]'):
        assert body.locator(selector).count() == 0, f"{selector} survived sanitizing"
    # Raw HTML is shown as the characters the model wrote.
    expect(body).to_contain_text("<script>window.__xss = 'script'</script>")
    expect(body).to_contain_text('<img src=x onerror="window.__xss = \'img\'">')
    # Clicking what is left of the links runs nothing either.
    body.get_by_text("click me").click()
    body.get_by_text("markdown link").click()
    assert page.evaluate("() => window.__xss") is None
    # The image became a plain link: nothing was fetched on render.
    expect(body.get_by_role("link", name="tracker")).to_have_attribute("rel", "noopener noreferrer")

    # Code is highlighted and has a working copy button.
    code = body.locator(".code-block")
    expect(code.locator(".hljs-built_in, .hljs-string").first).to_be_visible()
    code.get_by_role("button", name="Copy python to the clipboard").click()
    expect(code.get_by_role("button", name="Copy python to the clipboard")).to_have_text("Copied")
    wait_for("the code on the clipboard", lambda: page.evaluate("() => navigator.clipboard.readText()") == "print('hello')\n")
    shots("code-copied")
