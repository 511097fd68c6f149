"""What a person does with the console, and what they see, in Playwright terms."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harness import OrchHost, wait_for

BUBBLES_JS = """() => [...document.querySelectorAll('.chat-list > article.bubble')].map((el) => ({
  role: el.dataset.role, state: el.dataset.state, rowId: el.dataset.rowId || null,
  text: el.querySelector('.bubble-body').innerText.trim(),
}))"""


def open_console(page: Page, host: OrchHost) -> None:
    """Opens the URL orch serve printed, as a person would: it logs in and lands on the console."""
    page.goto(host.console_url)
    page.wait_for_url(f"{host.url}/")
    expect_connected(page)


def expect_connected(page: Page, timeout: float = 20_000) -> None:
    expect(page.get_by_test_id("connection")).to_contain_text("Connected", timeout=timeout)


def message_box(page: Page):
    return page.get_by_role("textbox", name="Message")


def send(page: Page, text: str) -> None:
    """Clicks the message box, types the text and presses Enter."""
    box = message_box(page)
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def bubbles(page: Page) -> list[dict]:
    return page.evaluate(BUBBLES_JS)


def snapshot(page: Page) -> dict:
    return page.evaluate("() => window.orchDebug.snapshot()")


def last_reply(page: Page):
    return page.locator('.chat-list > article.bubble[data-role="orchestrator"]').last


def wait_for_final_reply(page: Page, text: str, timeout: float = 30) -> None:
    """Waits until the newest reply bubble is final and reads exactly `text`."""
    wait_for(
        f"the newest reply to read {text[:60]!r}",
        lambda: (lambda b: b and b[-1]["role"] == "orchestrator" and b[-1]["state"] == "final" and b[-1]["text"] == text)(bubbles(page)),
        timeout=timeout,
    )


def streamed_words(page: Page) -> int:
    """Words in the reply that is streaming now (0 if none)."""
    return page.evaluate(
        """() => { const el = document.querySelector('.chat-list > article.bubble[data-state="streaming"] .bubble-body');
                   return el ? el.innerText.trim().split(/\\s+/).filter(Boolean).length : 0; }"""
    )


def page_rows(page: Page) -> list[tuple[str, str, str]]:
    """(row id, role, text) of every message bubble the page shows."""
    return [(b["rowId"], b["role"], b["text"]) for b in bubbles(page)]


def host_rows(host: OrchHost) -> list[tuple[str, str, str]]:
    return [(m["id"], m["sender_type"], m["message"]) for m in host.load_chat()["messages"]]
