"""A phone-sized screen: the three columns become tabs, reachable by keyboard."""

import pytest
from playwright.sync_api import Page, expect

from test_accessibility import focused
from ui import open_console, send, wait_for_final_reply


@pytest.fixture
def viewport() -> dict:
    return {"width": 390, "height": 844}


def test_phone_width_turns_columns_into_tabs(page: Page, host, loopback, shots):
    open_console(page, host)
    chat, events, agents = page.locator("#chat-column"), page.locator("#events-column"), page.locator("#agents-column")
    expect(page.get_by_role("tab", name="Chat")).to_have_attribute("aria-selected", "true")
    expect(chat).to_be_visible()
    expect(events).to_be_hidden()
    expect(agents).to_be_hidden()
    loopback.enqueue(text="Fits on a phone.")
    send(page, "Hi from a phone")
    wait_for_final_reply(page, "Fits on a phone.")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"nothing overflows sideways ({width}px)"
    shots("phone-chat")
    page.get_by_role("tab", name="Chat").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Events")).to_be_focused()
    expect(events).to_be_visible()
    expect(chat).to_be_hidden()
    expect(events.locator(".event-summary").first).to_be_visible()
    shots("phone-events")
    page.get_by_role("tab", name="Agents").click()
    expect(agents.get_by_text("No sub-agents yet")).to_be_visible()
    shots("phone-agents")
    page.keyboard.press("Control+k")
    expect(chat).to_be_visible()
    assert focused(page)["id"] == "chat-input"
