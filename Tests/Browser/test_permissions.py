"""The permission inbox in the console (issue #14), against the real host, the real Claude Code CLI
and the loopback: agents whose Bash and Edit are asked about (`permission_policy = "ask"`)."""

from __future__ import annotations

import os
import re
import signal

import pytest
from playwright.sync_api import Page, expect

from harness import HostOptions, OrchHost, wait_for
from test_team import AGENT_TIMEOUT, agent_id, agent_says, card, get_agent, group, orchestrator_commands, orchestrator_creates, orchestrator_says
from ui import open_console, send


def inbox_card(page: Page, tool: str):
    return page.get_by_test_id("inbox").locator(f'[data-testid="permission-card"]:has(.badge:text-is("{tool}"))')


@pytest.fixture
def host_options() -> HostOptions:
    return HostOptions(asked_tools=["Bash", "Edit", "Read"])


def test_an_agent_asks_and_the_person_allows_then_denies_with_a_message(page: Page, host: OrchHost, loopback, shots):
    work = host.directory / "work"
    (work / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    orchestrator_creates(loopback, "builder")
    orchestrator_commands(loopback, "builder", "make the file, then fix the notes")
    orchestrator_says(loopback, text="builder is on it.")
    orchestrator_says(loopback, text="Noted.", times=3)
    agent_says(loopback, "builder", tool="Bash", input={"command": "echo approved > approved.txt", "description": "Write the marker file"})
    agent_says(loopback, "builder", tool="Read", input={"file_path": str(work / "notes.txt")})
    agent_says(loopback, "builder", tool="Edit", input={"file_path": str(work / "notes.txt"), "old_string": "beta", "new_string": "BETA"})
    agent_says(loopback, "builder", text="done as far as I was allowed")

    open_console(page, host)
    expect(page.get_by_test_id("inbox-count")).to_have_text("0")
    send(page, "get the file made")

    # The request opens the inbox by itself, shows the command readably, and the agent needs you.
    bash = inbox_card(page, "Bash")
    expect(bash).to_be_visible(timeout=AGENT_TIMEOUT)
    expect(page.get_by_test_id("inbox")).to_be_visible()
    expect(bash.locator(".inbox-asker")).to_have_text("builder")
    expect(bash.locator(".inbox-command")).to_have_text("$ echo approved > approved.txt")
    expect(bash.locator(".inbox-description")).to_have_text("Write the marker file")
    expect(page.get_by_test_id("inbox-count")).to_have_text("1")
    expect(group(page, "needs_you").locator('[data-agent-name="builder"]')).to_be_visible(timeout=10_000)
    assert not (work / "approved.txt").exists(), "nothing runs before the person answers"
    shots("bash-asked")

    # The person corrects the command before allowing it: the corrected one runs (the answer's updated_input).
    bash.get_by_role("button", name="Edit command…").click()
    expect(bash.locator('[data-field="editor"]')).to_be_focused()
    bash.locator('[data-field="editor"]').fill("echo approved-and-edited > approved.txt")
    bash.get_by_role("button", name="Allow", exact=True).click()
    wait_for("the allowed command to run", lambda: (work / "approved.txt").exists(), timeout=AGENT_TIMEOUT / 1000)
    assert (work / "approved.txt").read_text().strip() == "approved-and-edited"

    # The Edit reads as a diff; D on the focused card denies it with the typed message.
    edit = inbox_card(page, "Edit")
    expect(edit).to_be_visible(timeout=AGENT_TIMEOUT)
    expect(edit.locator(".diff-line--removed")).to_have_text("- beta")
    expect(edit.locator(".diff-line--added")).to_have_text("+ BETA")
    expect(edit.locator(".inbox-path")).to_have_text(str(work / "notes.txt"))
    shots("edit-asked")
    edit.locator('[data-field="message"]').fill("keep the notes lowercase")
    edit.focus()
    page.keyboard.press("d")
    expect(edit).to_have_count(0, timeout=10_000)
    expect(group(page, "idle").locator('[data-agent-name="builder"]')).to_be_visible(timeout=AGENT_TIMEOUT)
    assert (work / "notes.txt").read_text() == "alpha\nbeta\ngamma\n", "the denied edit did not happen"
    expect(page.get_by_test_id("inbox-count")).to_have_text("0")
    recent = page.get_by_test_id("inbox-resolved")
    expect(recent.first).to_have_text("Edit for builder: denied by a person")
    expect(recent.nth(1)).to_have_text("Bash for builder: allowed by a person")
    shots("answered")

    # The model got the person's words (the CLI's tool result, as the agent's log keeps it); the audit log has both decisions.
    builder = agent_id(host, "builder")
    logs = host.request("GET", f"/agents/{builder}/logs?since_seq=0&limit=1000")["logs"]
    results = [entry["content"] for entry in logs if entry["event_type"] == "tool_result"]
    assert any("The person denied Edit: keep the notes lowercase" in text for text in results), results
    log = host.request("GET", "/permissions/log")["requests"]
    assert [(entry["tool_name"], entry["status"], entry["decided_by"]) for entry in log[:2]] == [("Edit", "denied", "person"), ("Bash", "allowed", "person")], log
    assert log[0]["decision"]["message"] == "keep the notes lowercase", log[0]
    assert log[1]["decision"]["updated_input"]["command"] == "echo approved-and-edited > approved.txt", log[1]


class TestTwoAgentsAndARestart:
    def test_two_waiting_agents_are_allowed_in_one_batch_then_a_killed_host_leaves_the_next_request_expired(self, page: Page, host: OrchHost, loopback, shots):
        for name in ("left", "right"):
            orchestrator_creates(loopback, name)
        for name in ("left", "right"):
            orchestrator_commands(loopback, name, f"{name}: make your file")
        orchestrator_says(loopback, text="Both are on it.")
        orchestrator_says(loopback, text="Noted.", times=4)
        for name in ("left", "right"):
            agent_says(loopback, name, tool="Bash", input={"command": f"touch {name}.txt"})
            agent_says(loopback, name, text=f"{name} made it")

        open_console(page, host)
        send(page, "both of you, make your files")
        cards = page.get_by_test_id("inbox").locator('[data-testid="permission-card"]')
        expect(cards).to_have_count(2, timeout=AGENT_TIMEOUT)
        expect(page.get_by_test_id("inbox-count")).to_have_text("2")
        expect(group(page, "needs_you").locator('[data-testid="agent-card"]')).to_have_count(2, timeout=10_000)
        page.get_by_test_id("inbox-select-all").check()
        shots("two-selected")
        page.get_by_role("button", name="Allow selected").click()
        expect(cards).to_have_count(0, timeout=10_000)
        work = host.directory / "work"
        wait_for("both files", lambda: (work / "left.txt").exists() and (work / "right.txt").exists(), timeout=AGENT_TIMEOUT / 1000)
        expect(group(page, "idle").locator('[data-testid="agent-card"]')).to_have_count(2, timeout=AGENT_TIMEOUT)

        # A request waits when the host is killed: after the restart it shows expired, the agent interrupted.
        orchestrator_says(loopback, text="Noted.", times=2)
        agent_says(loopback, "left", tool="Bash", input={"command": "touch late.txt"})
        left = agent_id(host, "left")
        host.request("POST", f"/agents/{left}/command", {"command": "one more file"})
        expect(cards).to_have_count(1, timeout=AGENT_TIMEOUT)
        os.killpg(host.process.pid, signal.SIGKILL)
        host.process.wait()
        host.start()
        page.reload()
        expect(page.get_by_test_id("inbox-count")).to_have_text("0", timeout=20_000)
        page.get_by_test_id("inbox-button").click()
        expired = page.locator('[data-testid="inbox-resolved"][data-status="expired"]')
        expect(expired).to_have_count(1, timeout=10_000)
        expect(expired).to_have_text(re.compile(r"^Bash for left: expired by the host"))
        expect(card(page, "left").locator('[data-field="state"]')).to_have_text(re.compile(r"^interrupted"), timeout=20_000)
        assert (get_agent(host, left) or {}).get("status") == "interrupted"
        assert not (work / "late.txt").exists()
        shots("expired-after-restart")


def test_the_orchestrator_asks_too_and_a_allows_it(page: Page, host: OrchHost, loopback, shots):
    orchestrator_says(loopback, tool="Bash", input={"command": "echo from-the-orchestrator > orchestrator.txt"})
    orchestrator_says(loopback, text="The file is written.")

    open_console(page, host)
    send(page, "write the file yourself")
    bash = inbox_card(page, "Bash")
    expect(bash).to_be_visible(timeout=AGENT_TIMEOUT)
    expect(bash.locator(".inbox-asker")).to_have_text("Orchestrator")
    # Grants for an agent or a template mean nothing for the orchestrator: only once.
    expect(bash.get_by_role("button", name="Allow for this agent")).to_have_count(0)
    expect(page.get_by_test_id("orchestrator-status")).to_have_text("needs you")
    expect(page.get_by_test_id("announcer-urgent")).to_contain_text("Orchestrator asks to use Bash")  # it needs the person: assertive
    shots("orchestrator-asks")
    bash.focus()
    page.keyboard.press("a")
    expect(bash).to_have_count(0, timeout=10_000)
    wait_for("the orchestrator's command to run", lambda: (host.directory / "work" / "orchestrator.txt").exists(), timeout=AGENT_TIMEOUT / 1000)
    expect(page.locator("#chat-column")).to_contain_text("The file is written.", timeout=AGENT_TIMEOUT)
    expect(page.get_by_test_id("orchestrator-status")).to_have_text("idle", timeout=AGENT_TIMEOUT)
    expect(page.get_by_test_id("inbox-resolved").first).to_have_text("Bash for Orchestrator: allowed by a person")
