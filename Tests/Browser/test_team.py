"""The team in the console (issue #13): the Agents column's cards and groups, the agent view,
the header's team totals, against the real host, the real Claude Code CLI and the loopback.
The orchestrator and each agent are scripted apart (`for_system`), as Tests/HostTests/AgentTests.swift does."""

from __future__ import annotations

import re
import urllib.error
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from harness import ORCHESTRATOR_MARKER, HostOptions, Loopback, OrchHost, agent_marker, agent_prompt, wait_for
from ui import open_console, send

# An agent's whole command (a CLI turn or two through the loopback) takes a few seconds on the 2-core machine.
AGENT_TIMEOUT = 60_000


def orchestrator_says(loopback: Loopback, **reply) -> None:
    loopback.enqueue(for_system=ORCHESTRATOR_MARKER, **reply)


def agent_says(loopback: Loopback, name: str, **reply) -> None:
    loopback.enqueue(for_system=agent_marker(name), **reply)


def orchestrator_creates(loopback: Loopback, name: str, **extra) -> None:
    orchestrator_says(loopback, tool="mcp__orch__create_agent", input={"name": name, "system_prompt": agent_prompt(name), **extra})


def orchestrator_commands(loopback: Loopback, name: str, command: str) -> None:
    orchestrator_says(loopback, tool="mcp__orch__command_agent", input={"agent_name": name, "command": command})


def dollars(value: float) -> str:
    """As lib/format.ts writes it: cents, or four digits below a cent."""
    return f"${value:.4f}" if 0 < value < 0.01 else f"${value:.2f}"


def card(page: Page, name: str) -> Locator:
    return page.locator(f'[data-testid="agent-card"][data-agent-name="{name}"]')


def group(page: Page, name: str) -> Locator:
    return page.locator(f'.team-group[data-group="{name}"]')


def pill(page: Page, stat: str) -> Locator:
    return page.locator(f'[data-stat="{stat}"]')


def agent_id(host: OrchHost, name: str) -> str:
    agents = host.request("GET", "/list_agents")["agents"]
    return next(agent["id"] for agent in agents if agent["name"] == name)


def get_agent(host: OrchHost, agent_id: str) -> dict | None:
    """`GET /agents/{id}`'s agent, or None once the host no longer knows it (404 unknown_agent)."""
    try:
        return host.request("GET", f"/agents/{agent_id}")["agent"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def cli_pids(session_id: str) -> list[int]:
    """Processes whose command line names the session (`--session-id=…` or `--resume=…`): its Claude CLI."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it exited while we looked
        if f"--session-id={session_id}" in cmdline or f"--resume={session_id}" in cmdline:
            pids.append(int(entry.name))
    return pids


class TestTwoAgents:
    @pytest.fixture
    def host_options(self) -> HostOptions:
        # One slot: the second agent waits, so both Running and Queued show at once.
        return HostOptions(max_running=1, agent_tools=["Bash"])

    def test_the_orchestrator_creates_two_agents_and_their_cards_follow_them(self, page: Page, host, loopback, shots):
        orchestrator_creates(loopback, "tester", budget_usd=1)
        orchestrator_creates(loopback, "reviewer")
        orchestrator_commands(loopback, "tester", "run the tests")
        orchestrator_commands(loopback, "reviewer", "review the diff")
        orchestrator_says(loopback, text="Both agents are on it.")
        # Each agent's result is pushed to the orchestrator as a turn of its own.
        orchestrator_says(loopback, text="Noted.", times=2)
        agent_says(loopback, "tester", tool="Bash", input={"command": "sleep 4; echo tests-pass"})
        agent_says(loopback, "tester", text="all tests pass")
        agent_says(loopback, "reviewer", text="the diff looks good")

        open_console(page, host)
        agents = page.locator("#agents-column")
        expect(agents.get_by_test_id("agents-empty")).to_contain_text("No sub-agents yet")
        expect(agents.get_by_test_id("agents-empty")).to_contain_text("The orchestrator creates agents")
        shots("empty-team")
        send(page, "get the tests run and the diff reviewed")

        # While tester sleeps in Bash, it runs and reviewer waits for the one slot.
        tester, reviewer = card(page, "tester"), card(page, "reviewer")
        expect(group(page, "running").locator('[data-testid="agent-card"][data-agent-name="tester"]')).to_be_visible(timeout=AGENT_TIMEOUT)
        expect(tester.locator('[data-field="activity"]')).to_contain_text("using Bash", timeout=AGENT_TIMEOUT)
        expect(group(page, "queued").locator('[data-testid="agent-card"][data-agent-name="reviewer"]')).to_be_visible()
        expect(reviewer.locator('[data-field="state"]')).to_have_text("queued · #1")
        expect(tester.locator('[data-field="task"]')).to_have_text("run the tests")
        # Only an agent with a budget has a bar; far from 80 % it is not in the warning colour.
        expect(tester.locator(".budget-bar")).to_be_visible()
        expect(tester.locator(".budget-bar")).not_to_have_class(re.compile(r"is-warning"))
        expect(reviewer.locator(".budget-bar")).to_be_hidden()
        expect(group(page, "running").locator(".team-group-count")).to_have_text("1")
        expect(pill(page, "agents-running")).to_have_text("1")
        expect(pill(page, "agents-queued")).to_have_text("1")
        # The elapsed time of the running command ticks with no event arriving.
        activity = tester.locator('[data-field="activity"]')
        first = activity.inner_text()
        wait_for("the elapsed time to tick", lambda: activity.inner_text() != first and "using Bash" in activity.inner_text(), timeout=10)
        shots("one-running-one-queued")

        # Both finish: idle, with their results, counters, and spend.
        expect(group(page, "idle").locator('[data-testid="agent-card"]')).to_have_count(2, timeout=AGENT_TIMEOUT)
        expect(tester.locator('[data-field="activity"]')).to_have_text("last result: all tests pass", timeout=AGENT_TIMEOUT)
        expect(reviewer.locator('[data-field="activity"]')).to_have_text("last result: the diff looks good", timeout=AGENT_TIMEOUT)
        expect(tester.locator('[data-field="counters"]')).to_contain_text("1 response · 1 tool")
        expect(tester.locator('[data-field="cost"]')).not_to_have_text("$0.00")
        # The card rounds; its tooltip has every digit.
        expect(tester.locator('[data-field="cost"]')).to_have_attribute("title", re.compile(r"^\$0\.\d{3,}"))
        expect(pill(page, "agents-running")).to_have_text("0")
        expect(pill(page, "agents-queued")).to_have_text("0")
        host_agents = {agent["name"]: agent for agent in host.request("GET", "/list_agents")["agents"]}
        team_cost = host_agents["tester"]["total_cost"] + host_agents["reviewer"]["total_cost"]
        orchestrator_cost = host.request("GET", "/get_orchestrator")["orchestrator"]["total_cost"]
        expect(pill(page, "team-cost")).to_have_text(dollars(orchestrator_cost + team_cost), timeout=10_000)

        # The chat shows the commands and the results as compact bubbles of their own.
        chat = page.locator("#chat-column")
        expect(chat.locator(".bubble--agent-command")).to_have_count(2)
        expect(chat.locator(".bubble--agent-result")).to_have_count(2, timeout=AGENT_TIMEOUT)
        expect(chat.locator(".bubble--agent-command").first).to_contain_text("Orchestrator → tester")
        shots("both-idle-with-results")


class TestInterruptAndDelete:
    def test_interrupt_from_the_card_stops_the_run_and_delete_stops_the_process(self, page: Page, host, loopback, shots):
        orchestrator_creates(loopback, "talker")
        orchestrator_commands(loopback, "talker", "talk for a long time")
        orchestrator_says(loopback, text="talker is talking.")
        orchestrator_says(loopback, text="Noted.", times=2)
        agent_says(loopback, "talker", slow_words=1200, every_ms=50)

        open_console(page, host)
        send(page, "have talker talk")
        talker = card(page, "talker")
        expect(group(page, "running").locator('[data-agent-name="talker"]')).to_be_visible(timeout=AGENT_TIMEOUT)
        expect(talker.locator('[data-field="activity"]')).to_contain_text("working · 0:0", timeout=AGENT_TIMEOUT)
        shots("talker-running")
        talker_id = agent_id(host, "talker")
        session = wait_for("talker's session id", lambda: (get_agent(host, talker_id) or {}).get("session_id"))
        wait_for("talker's CLI process", lambda: cli_pids(session), timeout=30)

        # The elapsed time ticks on its own; two seconds in, the command is surely in the CLI's hands
        # (an interrupt in the first instants of a command can find no turn to stop yet: the host then says so).
        activity = talker.locator('[data-field="activity"]')
        wait_for("two seconds of talking", lambda: re.fullmatch(r"working · 0:0[2-9]", activity.inner_text()), timeout=20)

        talker.get_by_role("button", name="Interrupt").click()
        expect(page.locator("#chat-toast")).to_have_text("")
        expect(group(page, "done").locator('[data-agent-name="talker"]')).to_be_visible(timeout=20_000)
        expect(talker.locator('[data-field="state"]')).to_have_text("interrupted · interrupted by user")
        expect(talker.get_by_role("button", name="Interrupt")).to_be_hidden()
        # Read out: the state ("talker: interrupted · …") or, when it came in a later frame, the result's end.
        expect(page.get_by_test_id("announcer-team")).to_have_text(re.compile(r"talker.*interrupted"))
        agent = get_agent(host, talker_id)
        assert agent and agent["status"] == "interrupted" and agent["reason"] == "interrupted_by_user", agent
        assert not agent.get("running_command"), f"nothing runs after the interrupt: {agent}"
        shots("talker-interrupted")

        # Its view: the command from the orchestrator, its totals, the actions.
        talker.locator(".agent-name").click()
        view = page.get_by_test_id("agent-view")
        expect(view).to_be_visible()
        expect(view.locator(".agent-view-title")).to_be_focused()
        expect(view.get_by_test_id("agent-view-state")).to_have_text("interrupted · interrupted by user")
        expect(view.locator('[data-kind="command"]')).to_contain_text("Orchestrator → talker")
        expect(view.locator('[data-kind="command"]')).to_contain_text("talk for a long time")
        expect(view.get_by_role("button", name="Interrupt")).to_be_disabled()
        shots("talker-view")

        # Stop and delete asks first; Cancel keeps it.
        view.get_by_role("button", name="Stop and delete…").click()
        confirm = view.get_by_role("alertdialog")
        expect(confirm).to_contain_text("Stop talker's process and delete it?")
        shots("delete-confirmation")
        confirm.get_by_role("button", name="Cancel").click()
        expect(confirm).to_be_hidden()
        assert get_agent(host, talker_id) is not None
        view.get_by_role("button", name="Stop and delete…").click()
        confirm.get_by_role("button", name="Stop and delete").click()
        expect(talker).to_have_count(0, timeout=30_000)
        expect(view).to_be_hidden()
        expect(page.get_by_test_id("agents-empty")).to_be_visible()
        wait_for("the host to forget talker", lambda: (lambda a: a is None or a["status"] == "archived")(get_agent(host, talker_id)), timeout=10)
        assert cli_pids(session) == [], f"talker's CLI still runs: {cli_pids(session)}"
        shots("talker-deleted")


class TestDirectCommand:
    @pytest.fixture
    def host_options(self) -> HostOptions:
        return HostOptions(agent_tools=["Bash", "Write"])

    def test_a_direct_command_runs_and_a_refresh_restores_cards_and_the_timeline(self, page: Page, host, loopback, shots):
        orchestrator_creates(loopback, "helper")
        orchestrator_says(loopback, text="helper is ready.")
        notes = host.directory / "work" / "notes.txt"
        agent_says(loopback, "helper", tool="Write", input={"file_path": str(notes), "content": "hello from helper\n"})
        agent_says(loopback, "helper", text="wrote notes.txt")

        open_console(page, host)
        send(page, "make a helper")
        helper = card(page, "helper")
        expect(group(page, "idle").locator('[data-agent-name="helper"]')).to_be_visible(timeout=AGENT_TIMEOUT)
        helper.locator('[data-field="task"]').click()  # anywhere on the card opens it
        view = page.get_by_test_id("agent-view")
        expect(view).to_be_visible()
        expect(view.locator(".agent-view-title")).to_have_text("helper")
        expect(view.get_by_text("Nothing yet: give it a command.")).to_be_visible()

        # An empty command is refused here, with the reason.
        box = view.get_by_role("textbox", name="Command")
        box.click()
        page.keyboard.press("Enter")
        expect(view.locator("#agent-toast")).to_have_text("Type a command for the agent first.")
        shots("empty-command-refused")

        page.keyboard.type("write the notes")
        page.keyboard.press("Enter")
        expect(box).to_have_value("")
        timeline = view.get_by_test_id("agent-timeline")
        expect(timeline.locator('[data-kind="command"]')).to_contain_text("You → helper", timeout=10_000)
        expect(timeline.locator('[data-kind="command"]')).to_contain_text("write the notes")
        expect(timeline.locator('[data-kind="reply"]')).to_contain_text("wrote notes.txt", timeout=AGENT_TIMEOUT)
        expect(timeline.locator('[data-kind="result"]')).to_contain_text("wrote notes.txt", timeout=AGENT_TIMEOUT)
        tool = timeline.locator('[data-kind="tool"] details[data-tool="Write"]')
        expect(tool).to_be_visible()
        expect(tool).not_to_have_attribute("open", "")
        tool.locator("summary").click()
        expect(tool.locator("pre").first).to_contain_text(str(notes))
        expect(view.locator(".agent-files")).to_contain_text(str(notes))
        assert notes.read_text() == "hello from helper\n"
        # The person's command is a row of the conversation too (user → agent).
        expect(page.locator("#chat-column .bubble--agent-command")).to_contain_text("You → helper")
        rows = host.load_chat()["messages"]
        assert any(r["sender_type"] == "user" and r["receiver_type"] == "agent" and r["message"] == "write the notes" for r in rows), rows
        shots("direct-command-answered")

        # A refresh brings back the cards, the open view and its timeline, from the host.
        page.reload()
        expect(page.get_by_test_id("connection")).to_contain_text("Connected")
        view = page.get_by_test_id("agent-view")
        expect(view).to_be_visible()
        expect(view.locator(".agent-view-title")).to_have_text("helper")
        timeline = view.get_by_test_id("agent-timeline")
        expect(timeline.locator('[data-kind="command"]')).to_contain_text("You → helper")
        expect(timeline.locator('[data-kind="reply"]')).to_contain_text("wrote notes.txt")
        expect(timeline.locator('[data-kind="tool"] details[data-tool="Write"]')).to_be_visible()
        expect(view.locator(".agent-files")).to_contain_text(str(notes))
        shots("refreshed-view")
        view.get_by_role("button", name="← All agents").click()
        expect(helper.locator('[data-field="activity"]')).to_have_text("last result: wrote notes.txt")
        expect(helper.locator('[data-field="counters"]')).to_contain_text("1 response · 1 tool")
        expect(helper.locator(".agent-name")).to_be_focused()
        shots("refreshed-cards")


# The page's notifications, recorded: the real ones would need a desktop to show on.
RECORD_NOTIFICATIONS_JS = """
window.__notifications = [];
const Real = window.Notification;
window.Notification = class {
  constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
  static get permission() { return Real.permission; }
  static requestPermission() { return Real.requestPermission(); }
};
"""

SET_HIDDEN_JS = """(hidden) => {
  Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}"""


@pytest.fixture
def notifications_page(page: Page) -> Page:
    page.context.grant_permissions(["notifications"])
    page.add_init_script(RECORD_NOTIFICATIONS_JS)
    return page


def test_notifications_and_the_title_badge_while_hidden_and_groups_collapse_by_keyboard(notifications_page: Page, host, loopback, shots):
    page = notifications_page
    host.request("POST", "/agents", {"name": "solo", "system_prompt": agent_prompt("solo")})
    open_console(page, host)
    solo = card(page, "solo")
    expect(group(page, "idle").locator('[data-agent-name="solo"]')).to_be_visible(timeout=AGENT_TIMEOUT)
    toggle = page.get_by_test_id("notify-toggle")
    expect(toggle).to_have_text("Notifications: off")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    # Off: a command that finishes while the tab is hidden only counts in the title.
    agent_says(loopback, "solo", text="first done")
    page.evaluate(SET_HIDDEN_JS, True)
    host.request("POST", f"/agents/{agent_id(host, 'solo')}/command", {"command": "do the first thing"})
    expect(page).to_have_title("(1) Orch · orchestrator console", timeout=AGENT_TIMEOUT)
    assert page.evaluate("() => window.__notifications") == []
    page.evaluate(SET_HIDDEN_JS, False)
    expect(page).to_have_title("Orch · orchestrator console")

    # On (the browser has allowed it here): the next one is a notification too.
    toggle.click()
    expect(toggle).to_have_text("Notifications: on")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    agent_says(loopback, "solo", text="second done")
    page.evaluate(SET_HIDDEN_JS, True)
    host.request("POST", f"/agents/{agent_id(host, 'solo')}/command", {"command": "do the second thing"})
    expect(page).to_have_title("(1) Orch · orchestrator console", timeout=AGENT_TIMEOUT)
    notes = wait_for("a notification", lambda: page.evaluate("() => window.__notifications"))
    assert notes == [{"title": "solo: command finished", "body": "solo finished a command."}], notes
    page.evaluate(SET_HIDDEN_JS, False)
    expect(page).to_have_title("Orch · orchestrator console")
    expect(page.get_by_test_id("announcer-team")).to_contain_text("solo")

    # Groups fold and unfold from the keyboard.
    header = group(page, "idle").locator(".team-group-toggle")
    expect(header).to_contain_text("Idle")
    expect(header.locator(".team-group-count")).to_have_text("1")
    header.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-expanded", "false")
    expect(solo).to_be_hidden()
    shots("idle-collapsed")
    page.keyboard.press("Enter")
    expect(solo).to_be_visible()
    # The choice is kept.
    page.reload()
    expect(page.get_by_test_id("notify-toggle")).to_have_text("Notifications: on")


class TestPhone:
    @pytest.fixture
    def viewport(self) -> dict:
        return {"width": 390, "height": 844}

    def test_on_a_phone_the_agents_tab_shows_cards_and_the_view_by_keyboard(self, page: Page, host, loopback, shots):
        # A person may build the team too (POST /agents): no orchestrator turn needed.
        host.request("POST", "/agents", {"name": "pocket", "system_prompt": agent_prompt("pocket")})
        open_console(page, host)
        page.get_by_role("tab", name="Chat").focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        expect(page.get_by_role("tab", name="Agents")).to_have_attribute("aria-selected", "true")
        pocket = card(page, "pocket")
        expect(pocket).to_be_visible(timeout=AGENT_TIMEOUT)
        expect(group(page, "idle").locator('[data-agent-name="pocket"]')).to_be_visible(timeout=AGENT_TIMEOUT)
        shots("phone-agents")
        pocket.locator(".agent-name").focus()
        page.keyboard.press("Enter")
        view = page.get_by_test_id("agent-view")
        expect(view).to_be_visible()
        expect(view.locator(".agent-view-title")).to_be_focused()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"nothing overflows sideways ({width}px)"
        shots("phone-agent-view")
        # Escape goes back to the cards too, with focus on the card it came from.
        page.keyboard.press("Escape")
        expect(view).to_be_hidden()
        expect(pocket.locator(".agent-name")).to_be_focused()
