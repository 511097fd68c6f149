"""Keyboard only, visible focus, announcements, and AA contrast in the dark theme."""

from playwright.sync_api import Page, expect

from ui import last_reply, open_console, send, wait_for_final_reply

# WCAG 2.x contrast of every visible text against the background it sits on.
CONTRAST_JS = """() => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const parse = (color) => { const m = color.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return { r, g, b, a }; };
  const luminance = ({ r, g, b }) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) return c; } return parse(getComputedStyle(document.body).backgroundColor); };
  const failures = []; let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
    if (!text) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0 || box.height === 0) continue;
    if (el.closest('.visually-hidden, [hidden]') || el.disabled) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    checked += 1;
    if (ratio < needed) failures.push(`${el.tagName.toLowerCase()}.${el.className} "${text.slice(0, 30)}" ${style.color} on rgb(${bg.r},${bg.g},${bg.b}): ${ratio.toFixed(2)} < ${needed}`);
  }
  return { checked, failures };
}"""

FOCUS_JS = """() => { const el = document.activeElement; const s = getComputedStyle(el);
  return { tag: el.tagName, id: el.id, text: el.innerText?.slice(0, 40), outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; }"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUS_JS)


def assert_focus_visible(page: Page) -> None:
    state = focused(page)
    assert state["outline"] != "none" and state["width"] >= 2, f"focus is not visible on {state}"


def test_keyboard_only_use_with_visible_focus_and_announced_replies(page: Page, host, loopback, shots):
    open_console(page, host)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to the message box"
    assert_focus_visible(page)
    shots("skip-link-focused")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "chat-input", focused(page)
    loopback.enqueue(thinking="The user wants a status check; a short answer will do.", text="All systems are working.")
    page.keyboard.type("Status?")
    page.keyboard.press("Enter")
    wait_for_final_reply(page, "All systems are working.")
    # Screen readers hear the finished reply once (not every token).
    expect(page.get_by_test_id("announcer")).to_have_text("Orchestrator replied: All systems are working.")

    # The thinking bubble opens from the keyboard.
    page.keyboard.press("Shift+Tab")
    thinking = page.locator("details.bubble--thinking")
    thinking.locator("summary").focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(thinking).to_have_attribute("open", "")
    expect(thinking).to_contain_text("a short answer will do")
    shots("thinking-opened-by-keyboard")

    # Ctrl+K brings the message box back from anywhere; Tab reaches Send with a visible ring.
    page.locator(".event-search").focus()
    page.keyboard.press("Control+k")
    assert focused(page)["id"] == "chat-input"
    page.keyboard.type("x")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Send"
    assert_focus_visible(page)
    shots("send-focused")


def test_text_contrast_meets_wcag_aa_in_every_state(page: Page, host, loopback, shots):
    open_console(page, host)
    loopback.enqueue(thinking="Considering.", text="Here is `code` and a [link](https://example.invalid).\n\n```js\nconst a = 1;\n```")
    send(page, "Show everything")
    expect(last_reply(page)).to_have_attribute("data-state", "final", timeout=30_000)
    expect(last_reply(page).locator(".code-block")).to_be_visible()
    page.locator("details.bubble--thinking summary").click()
    loopback.enqueue(error=529)
    send(page, "And fail once")
    expect(page.locator(".notice--error")).to_be_visible()
    page.locator(".event-search").fill("zzz-no-match")
    shots("all-states")
    result = page.evaluate(CONTRAST_JS)
    assert result["checked"] > 40, result
    assert result["failures"] == [], "\n".join(result["failures"])
