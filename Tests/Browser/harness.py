"""The real Orch stack for browser tests and the UI benchmark.

`Loopback` runs the `anthropic-loopback` executable (Sources/TestServers/anthropic-loopback):
the scriptable Anthropic Messages API the real Claude Code CLI talks to.
`OrchHost` runs the real `orch` binary with SQLiteStore, ClaudeBackend (pointed at
the loopback) and WebSocketTransport serving frontend/dist. Nothing is mocked.
Every wait has a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("ORCH_BUILD_DIR", REPO / ".build" / "debug"))
DIST = REPO / "frontend" / "dist"

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Polls `check` until it returns something truthy; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as error:  # a check may fail while things start up
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def required_file(path: Path, how: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {how}")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def claude_cli() -> str:
    """The Claude Code CLI bundled in the claude-agent-sdk wheel (make deps installs it), or `claude` on PATH."""
    on_path = shutil.which("claude")
    if on_path:
        return on_path
    try:
        import claude_agent_sdk  # type: ignore

        bundled = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    raise FileNotFoundError("the Claude Code CLI is missing: pip install claude-agent-sdk (make deps does)")


class Loopback:
    """The Anthropic loopback as a child process, scripted through its stdin."""

    def __init__(self, log_dir: Path):
        binary = required_file(BUILD / "anthropic-loopback", "build it with `swift build` (make test does)")
        self.log = open(log_dir / "loopback.log", "w")
        self.process = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        self.lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self._line(15)
        if not first.startswith("listening "):
            raise RuntimeError(f"anthropic-loopback said {first!r} instead of 'listening <url>'")
        self.base_url = first.split(" ", 1)[1]

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def _line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"anthropic-loopback did not answer within {timeout:.0f} s") from None

    def enqueue(self, **command) -> None:
        """Queues the reply to the next Messages request: text=, delay_ms=, slow_words=, every_ms=, thinking=, tool=, error=, times=,
        for_system= (only for requests whose system prompt contains it: an agent's marker, see `agent_prompt`)."""
        assert self.process.stdin
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = self._line(10)
        if answer != "ok":
            raise AssertionError(f"anthropic-loopback refused {command}: {answer}")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@dataclass
class HostOptions:
    replay_window: int = 4096
    max_message_bytes: int = 100_000
    # [agents] max_running (the host's default when None). Agents run on the orchestrator's
    # backend, so on the same loopback: script them with `for_system=agent_marker(name)`.
    max_running: int | None = None
    # Built-in CLI tools the sessions may use, run without asking (none by default): e.g. ["Bash", "Write"]
    # for an agent whose script calls them. The orchestrator's session gets them too (one backend).
    agent_tools: list[str] = field(default_factory=list)
    # Built-in CLI tools the sessions may use only with a person's (or a rule's) permission: any here
    # sets `permission_policy = "ask"`, so each use waits in the console's inbox (docs/permissions.md).
    asked_tools: list[str] = field(default_factory=list)
    # The `[permissions]` table's lines, e.g. ['allow = ["Bash(git status*)"]', "timeout_s = 30"].
    permissions: list[str] = field(default_factory=list)


ORCHESTRATOR_MARKER = "You are the orchestrator of Orch"


def agent_marker(name: str) -> str:
    """The text in `name`'s system prompt (from `agent_prompt`) that its loopback script is keyed by."""
    return f"[agent-{name}]"


def agent_prompt(name: str) -> str:
    return f"You are {name} {agent_marker(name)}. Do what you are asked and report briefly."


class OrchHost:
    """`orch serve` with the product plugins, on a port of its own, with its own database and CLI config."""

    def __init__(self, directory: Path, loopback: Loopback, options: HostOptions | None = None, port: int | None = None):
        self.directory = directory
        self.loopback = loopback
        self.options = options or HostOptions()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The transport requires its token, even on loopback: generated into token_file at the
        # first start, and printed by orch serve as the console URL that logs a browser in.
        self.token_file = directory / "auth-token"
        self.console_url: str | None = None
        self.token: str | None = None
        self.database = directory / "orch.sqlite"
        self.config = directory / "orch.toml"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        (directory / "work").mkdir(parents=True, exist_ok=True)
        self._write_config()

    def _write_config(self) -> None:
        required_file(BUILD / "orch", "build it with `swift build` (make test does)")
        for plugin in ("SQLiteStore", "ClaudeBackend", "WebSocketTransport"):
            required_file(BUILD / f"lib{plugin}.so", "build it with `swift build` (make test does)")
        required_file(DIST / "index.html", "build the frontend with frontend/build.sh (make test does)")
        prompt = REPO / "config" / "prompts" / "orchestrator.md"
        backend = {
            "model": "claude-sonnet-4-5",
            "cli_path": claude_cli(),
            "tools": list(self.options.agent_tools) + list(self.options.asked_tools),
            **({"allowed_tools": list(self.options.agent_tools)} if self.options.agent_tools else {}),
            **({"permission_policy": "ask"} if self.options.asked_tools else {}),
            "max_retries": 0,
            "config_dir": str(self.directory / "claude-config"),
            "env": {"ANTHROPIC_BASE_URL": self.loopback.base_url, "ANTHROPIC_API_KEY": "test-key", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
        }
        if prompt.exists():
            backend["system_prompt_file"] = str(prompt)
        env_table = ", ".join(f"{key} = {json.dumps(value)}" for key, value in backend.pop("env").items())
        lines = [
            "[host]",
            f"plugin_dirs = [{json.dumps(str(BUILD))}]",
            f"working_dir = {json.dumps(str(self.directory / 'work'))}",
            f"replay_window = {self.options.replay_window}",
            f"max_message_bytes = {self.options.max_message_bytes}",
            "",
            "[store]",
            'plugin = "SQLiteStore"',
            "[store.options]",
            f"path = {json.dumps(str(self.database))}",
            "",
            "[backend]",
            'plugin = "ClaudeBackend"',
            "[backend.options]",
            *(f"{key} = {json.dumps(value)}" for key, value in backend.items()),
            f"env = {{ {env_table} }}",
            "",
            *(["[agents]", f"max_running = {self.options.max_running}", ""] if self.options.max_running is not None else []),
            *(["[permissions]", *self.options.permissions, ""] if self.options.permissions else []),
            "[[transports]]",
            'plugin = "WebSocketTransport"',
            "[transports.options]",
            f'listen = "127.0.0.1:{self.port}"',
            f"static_dir = {json.dumps(str(DIST))}",
            f"token_file = {json.dumps(str(self.token_file))}",
        ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> "OrchHost":
        self.starts += 1
        log = open(self.directory / f"orch-{self.starts}.log", "w")
        self.process = subprocess.Popen(
            [str(BUILD / "orch"), "serve", "--config", str(self.config)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(f"orch to answer /health on port {self.port} (log: {log.name})", self._healthy, timeout=60)
        self.console_url = wait_for(f"the console URL in {log.name}", lambda: self._console_url(Path(log.name)), timeout=10)
        self.token = urllib.parse.unquote(self.console_url.split("#token=", 1)[1])
        return self

    def _console_url(self, log: Path) -> str | None:
        """The URL orch serve prints for the browser: `console: http://…/login#token=…`."""
        match = re.search(r"console: (http://\S+)", log.read_text(errors="replace"))
        return match.group(1) if match else None

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"orch exited with status {self.process.returncode}; see {self.directory}/orch-{self.starts}.log")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as error:
            return error.code == 503  # up, with a dependency reporting down
        except OSError:
            return False

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def orchestrator_id(self) -> str:
        return self.request("GET", "/get_orchestrator")["orchestrator"]["id"]

    def load_chat(self, limit: int = 1000) -> dict:
        return self.request("POST", "/load_chat", {"orchestrator_agent_id": self.orchestrator_id(), "limit": limit})

    def kill_client_connections(self) -> int:
        """Destroys every established TCP connection of the server's port, server side (`ss -K`), as a network failure would."""
        result = subprocess.run(["ss", "-K", "-t", "state", "established", f"( sport = :{self.port} )"], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"ss -K failed: {result.stderr.strip()}")
        return max(0, len([line for line in result.stdout.splitlines() if line.strip()]) - 1)

    def seed_history(self, count: int) -> None:
        """Writes `count` chat rows straight into the (stopped) host's database: half questions, half markdown answers."""
        assert not self.process or self.process.poll() is not None, "stop the host before seeding its database"
        connection = sqlite3.connect(self.database)
        with connection:
            (orchestrator,) = connection.execute("SELECT id FROM orchestrator_agents WHERE archived = 0 ORDER BY created_at DESC LIMIT 1").fetchone()
            start = time.time() - count
            rows = []
            for index in range(count):
                turn = str(uuid.uuid4()) if index % 2 == 0 else rows[-1][7]
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + index)) + f".{index % 1_000_000:06d}Z"
                if index % 2 == 0:
                    rows.append((str(uuid.uuid4()), orchestrator, "user", "orchestrator", f"Question {index // 2}: how is part {index} doing?", json.dumps({"turn_id": turn}), stamp, turn))
                else:
                    answer = f"Part **{index}** is fine.\n\n- checked `module_{index}`\n- next: review\n\n```python\nprint({index})\n```"
                    rows.append((str(uuid.uuid4()), orchestrator, "orchestrator", "user", answer, json.dumps({"type": "text", "turn_id": turn}), stamp, turn))
            connection.executemany(
                "INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[6]) for r in rows],
            )
        connection.close()
