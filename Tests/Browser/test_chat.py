"""The conversation, as a person has it: open, ask, watch the reply stream, ask again, refresh."""

from playwright.sync_api import Page, expect

from harness import wait_for
from ui import bubbles, host_rows, message_box, open_console, page_rows, send, snapshot, streamed_words, wait_for_final_reply

HELLO = "Hello orchestrator, can you confirm you're working?"
HELLO_REPLY = "Yes, I am working. I received your message and I am ready to coordinate agents for you."
MATH = "What is 2+2?"
MATH_REPLY = "2 + 2 = 4."
# What the chat shows, in order: a message's role, or the kind of a thinking or tool bubble.
CHAT_ITEMS_JS = """() => [...document.querySelector('.chat-list').children]
  .map((el) => [...el.classList].find((c) => c === 'bubble--tool' || c === 'bubble--thinking') || el.dataset.role)
  .filter(Boolean)"""


def test_a_conversation_streams_persists_and_survives_a_refresh(page: Page, host, loopback, shots):
    open_console(page, host)
    expect(page.get_by_text("Start a conversation")).to_be_visible()
    expect(message_box(page)).to_be_visible()
    shots("empty-state")

    # A reply slow enough to be seen streaming: one word every 60 ms.
    loopback.enqueue(text=HELLO_REPLY, delay_ms=60)
    send(page, HELLO)
    # The question shows at once, before any reply.
    expect(page.locator('.chat-list > article[data-role="user"]')).to_have_count(1, timeout=2_000)
    expect(page.locator('.chat-list > article[data-role="user"] .bubble-body')).to_have_text(HELLO)
    expect(page.get_by_text("Start a conversation")).to_be_hidden()
    expect(message_box(page)).to_have_value("")
    wait_for("the reply to stream in (a streaming bubble with a few words)", lambda: streamed_words(page) >= 3)
    streaming = bubbles(page)
    assert [b["role"] for b in streaming] == ["user", "orchestrator"], streaming
    assert streaming[1]["state"] == "streaming"
    assert HELLO_REPLY.startswith(streaming[1]["text"]), f"the draft is a prefix of the reply: {streaming[1]['text']!r}"
    expect(page.get_by_test_id("stop")).to_be_visible()
    shots("reply-streaming")
    wait_for_final_reply(page, HELLO_REPLY)
    expect(page.get_by_test_id("stop")).to_be_hidden()
    expect(page.locator(".typing")).to_be_hidden()
    shots("first-reply")

    loopback.enqueue(text=MATH_REPLY, delay_ms=20)
    send(page, MATH)
    wait_for_final_reply(page, MATH_REPLY)
    assert [(b["role"], b["text"]) for b in bubbles(page)] == [("user", HELLO), ("orchestrator", HELLO_REPLY), ("user", MATH), ("orchestrator", MATH_REPLY)]
    expect(page.locator('[data-stat="messages"]')).to_have_text("4")
    expect(page.locator('[data-stat="turns"]')).to_have_text("2")
    assert page.locator('[data-stat="tokens"]').inner_text() != "0", "tokens counted after two turns"
    # Timestamps on every bubble.
    assert page.locator(".chat-list > article time").count() == 4
    shots("both-exchanges")

    # What the page shows is what the store saved, and what the page's own store holds.
    saved = host_rows(host)
    assert page_rows(page) == [(row_id, role, text) for row_id, role, text in saved]
    state = snapshot(page)
    assert [(i["id"], i["role"], i["text"]) for i in state["items"]] == saved
    assert state["streamMismatches"] == 0

    page.reload()
    expect(page.get_by_test_id("connection")).to_contain_text("Connected")
    wait_for("the history after a refresh", lambda: len(bubbles(page)) == 4)
    assert page_rows(page) == saved
    expect(page.get_by_text("Start a conversation")).to_be_hidden()
    expect(page.locator('[data-stat="messages"]')).to_have_text("4")
    shots("after-refresh")


def test_messages_are_typed_text_not_markup(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(text="Noted.")
    # Shift+Enter is a new line, not a send.
    box = message_box(page)
    box.click()
    page.keyboard.type("<b>not bold</b>")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(page.locator('.chat-list > article[data-role="user"]')).to_have_count(0)
    page.keyboard.press("Enter")
    wait_for_final_reply(page, "Noted.")
    user = page.locator('.chat-list > article[data-role="user"] .bubble-body')
    expect(user).to_have_text("<b>not bold</b>\nsecond line")
    assert user.locator("b").count() == 0
    shots("typed-text")


def test_auto_scroll_pauses_when_the_reader_scrolls_up_and_jump_to_latest_returns(page: Page, host, loopback, shots):
    open_console(page, host)
    long_reply = "\n\n".join(f"Paragraph {i} of a long answer." for i in range(90))
    loopback.enqueue(text=long_reply, delay_ms=25)
    send(page, "Write a lot")
    scroller = page.locator(".chat-scroll")
    distance_from_bottom = "(el) => el.scrollHeight - el.scrollTop - el.clientHeight"
    wait_for("the reply to overflow the column", lambda: scroller.evaluate("(el) => el.scrollHeight > el.clientHeight * 1.5"))
    assert scroller.evaluate(distance_from_bottom) < 50, "following the newest text while at the bottom"
    scroller.hover()
    page.mouse.wheel(0, -400)
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_visible()
    top = scroller.evaluate("(el) => el.scrollTop")
    wait_for("more text to arrive", lambda: scroller.evaluate(distance_from_bottom) > 600)
    assert abs(scroller.evaluate("(el) => el.scrollTop") - top) < 5, "the reader's place is kept while the reply grows"
    shots("scrolled-up-while-streaming")
    jump.click()
    expect(jump).to_be_hidden()
    assert scroller.evaluate(distance_from_bottom) < 50
    expect(page.locator('.chat-list > article[data-state="final"][data-role="orchestrator"]')).to_have_count(1, timeout=30_000)
    assert scroller.evaluate(distance_from_bottom) < 50, "following again after jumping to the latest"
    shots("back-at-latest")


def test_a_refresh_shows_the_turns_thinking_and_tools_where_they_were(page: Page, host, loopback, shots):
    open_console(page, host)
    # A tool the session does not have: the CLI answers it with an error result, and the model then replies.
    loopback.enqueue(tool="Bash", input={"command": "ls"}, text="Let me look.")
    loopback.enqueue(thinking="Nothing to list; say so.", text="I could not list the files.")
    send(page, "What files are here?")
    wait_for_final_reply(page, "I could not list the files.")
    expect(page.locator(".bubble--tool")).to_have_count(1)
    expect(page.locator(".bubble--thinking")).to_have_count(1)
    live = page.evaluate(CHAT_ITEMS_JS)
    assert live == ["user", "bubble--tool", "orchestrator", "bubble--thinking", "orchestrator"] or "bubble--tool" in live, live

    page.reload()
    wait_for_final_reply(page, "I could not list the files.")
    # The same bubbles in the same places: the question, the tool and the thinking, then the replies.
    expect(page.locator(".bubble--tool")).to_have_count(1)
    expect(page.locator(".bubble--tool")).to_contain_text("Bash")
    expect(page.locator(".bubble--thinking")).to_have_count(1)
    assert page.evaluate(CHAT_ITEMS_JS) == live
    shots("tools-and-thinking-after-refresh")
