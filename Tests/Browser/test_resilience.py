"""Connections that break, pages that refresh, requests that fail: nothing is lost, everything is said."""

import os
import signal

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness import HostOptions, wait_for
from ui import bubbles, expect_connected, host_rows, open_console, page_rows, send, snapshot, streamed_words, wait_for_final_reply

WORDS = 120
SLOW_REPLY = " ".join(f"w{i}" for i in range(WORDS))


def test_a_websocket_killed_mid_stream_resumes_without_a_gap(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(slow_words=WORDS, every_ms=40)
    send(page, "Stream me a long answer")
    wait_for("the reply to be streaming", lambda: streamed_words(page) >= 15)
    before = snapshot(page)
    shots("streaming-before-kill")

    killed = host.kill_client_connections()
    assert killed >= 1, "the page's WebSocket was connected"
    wait_for("the page to notice and reconnect", lambda: snapshot(page)["stats"]["reconnects"] >= 1, timeout=15)
    shots("reconnected")
    wait_for_final_reply(page, SLOW_REPLY, timeout=40)
    after = snapshot(page)
    assert after["streamMismatches"] == 0, "every chunk arrived exactly once: the streamed text equals the saved reply"
    assert after["lastSeq"] > before["lastSeq"]
    assert page_rows(page) == host_rows(host)
    shots("completed-after-reconnect")


def test_a_refresh_mid_turn_shows_history_and_continues_the_stream(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(slow_words=WORDS, every_ms=40)
    send(page, "Keep talking while I refresh")
    wait_for("the reply to be streaming", lambda: streamed_words(page) >= 10)
    page.reload()
    expect(page.locator('.chat-list > article[data-role="user"] .bubble-body')).to_have_text("Keep talking while I refresh")
    wait_for("the stream to continue after the refresh", lambda: streamed_words(page) >= 20)
    shots("streaming-after-refresh")
    # The draft shown after the refresh holds the whole reply so far: replayed from the host, then live.
    assert SLOW_REPLY.startswith(bubbles(page)[-1]["text"])
    wait_for_final_reply(page, SLOW_REPLY, timeout=40)
    assert snapshot(page)["streamMismatches"] == 0
    assert page_rows(page) == host_rows(host)
    shots("completed")


@pytest.fixture
def host_options() -> HostOptions:
    return HostOptions(max_message_bytes=2000)


def test_send_failures_say_why_and_retry_works_once_the_host_is_back(page: Page, host, loopback, shots):
    open_console(page, host)
    # Refused by the host: the message stays, with the reason.
    page.console_watch.allow(r"status of 400")
    box = page.get_by_role("textbox", name="Message")
    box.fill("x" * 2001)  # a paste
    box.press("Enter")
    failed = page.locator('.chat-list > article[data-state="failed"]')
    expect(failed).to_contain_text("Not sent. The message is too long")
    expect(failed).to_contain_text("2000")
    shots("refused-too-long")
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)

    # The host goes away: the header says so, and a send says it cannot reach the host.
    page.console_watch.allow(r"WebSocket connection to .* failed")
    page.console_watch.allow(r"Failed to load resource: net::ERR_CONNECTION_REFUSED")
    host.stop()
    expect(page.get_by_test_id("connection")).to_contain_text("Disconnected", timeout=15_000)
    send(page, "Are you there?")
    expect(failed).to_contain_text("The host cannot be reached")
    shots("host-down")

    # It comes back (a new process: its event numbers start again at 1). Reconnect, retry, answer.
    host.start()
    # A person clicks "Reconnect now" if it is showing; the page may also get there on its own first.
    try:
        page.get_by_role("button", name="Reconnect now").click(timeout=2_000)
    except PlaywrightTimeoutError:
        pass
    expect_connected(page)
    loopback.enqueue(text="Back and answering.")
    failed.get_by_role("button", name="Retry").click()
    wait_for_final_reply(page, "Back and answering.")
    assert [(b["role"], b["state"]) for b in bubbles(page)] == [("user", "final"), ("orchestrator", "final")]
    assert page_rows(page) == host_rows(host)
    shots("retried-after-restart")


def test_a_failed_turn_shows_a_readable_error_with_retry(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(error=529)
    send(page, "This one will fail")
    notice = page.locator(".notice--error")
    expect(notice).to_contain_text("The Claude API is overloaded")
    expect(page.get_by_test_id("stop")).to_be_hidden()
    expect(page.get_by_test_id("announcer-urgent")).to_contain_text("overloaded")
    shots("turn-failed")
    loopback.enqueue(text="Worked this time.")
    notice.get_by_role("button", name="Retry").click()
    wait_for_final_reply(page, "Worked this time.")
    expect(notice).to_have_count(0)
    texts = [b["text"] for b in bubbles(page) if b["role"] == "user"]
    assert texts == ["This one will fail", "This one will fail"]
    shots("retried")


def test_stop_interrupts_the_running_turn(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(slow_words=400, every_ms=40)
    send(page, "Talk for a long time")
    wait_for("the reply to be streaming", lambda: streamed_words(page) >= 10)
    shots("before-stop")
    page.get_by_test_id("stop").click()
    expect(page.locator(".notice").filter(has_text="Stopped")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("stop")).to_be_hidden()
    expect(page.locator(".typing")).to_be_hidden()
    wait_for("no reply streaming", lambda: all(b["state"] != "streaming" for b in bubbles(page)))
    reply = [b for b in bubbles(page) if b["role"] == "orchestrator"]
    assert len(reply) == 1 and 0 < len(reply[0]["text"].split()) < 400, reply
    assert page_rows(page) == host_rows(host), "what was streamed before the stop is saved and shown the same"
    shots("stopped")


def test_a_turn_cut_off_by_a_killed_host_says_so_after_the_restart_with_retry(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(slow_words=400, every_ms=40)
    send(page, "Talk until the host dies")
    wait_for("the reply to be streaming", lambda: streamed_words(page) >= 10)
    os.killpg(host.process.pid, signal.SIGKILL)
    host.process.wait()
    host.start()
    page.reload()
    expect_connected(page)
    notice = page.locator(".notice").filter(has_text="Cut off: orch stopped")
    expect(notice).to_be_visible(timeout=20_000)
    expect(notice).to_contain_text("orch stopped while it was being written")
    shots("cut-off-after-restart")
    loopback.enqueue(text="Here it is, in full.")
    notice.get_by_role("button", name="Retry").click()
    wait_for_final_reply(page, "Here it is, in full.")
    texts = [b["text"] for b in bubbles(page) if b["role"] == "user"]
    assert texts == ["Talk until the host dies", "Talk until the host dies"]
    shots("retried-after-cut-off")
