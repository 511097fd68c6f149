-- Orch schema, version 3, for SQLite: what sub-agents need (issue #12).
--   * agents.status takes the sub-agent vocabulary (docs/protocol.md, "Agent");
--     existing values map executing → running, waiting → queued,
--     blocked → needs_input, complete → stopped, idle → idle;
--   * agents.status_reason says why an agent is stopped, failed, …;
--   * agents.log_seq is the last agent_logs.seq handed out for that agent;
--   * an agent's name is unique among its orchestrator's non-archived agents
--     only, so a deleted (archived) agent's name can be used again;
--   * agent_logs.seq numbers each agent's rows 1, 2, 3… (existing rows in
--     (timestamp, id) order), and agent_logs.turn_id names the turn.
-- SQLite cannot change a CHECK or a UNIQUE constraint in place, so both tables
-- are rebuilt as https://www.sqlite.org/lang_altertable.html#otheralter says:
-- the migrator runs this with foreign_keys OFF (with them on, DROP TABLE agents
-- would cascade to the logs and the chat rows) and runs foreign_key_check
-- before it commits. Runs inside the migration transaction; never edit it once released.

CREATE TABLE agents_v3 (
    id                    TEXT PRIMARY KEY NOT NULL,
    orchestrator_agent_id TEXT NOT NULL REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    model                 TEXT NOT NULL,
    system_prompt         TEXT,
    working_dir           TEXT,
    git_worktree          TEXT,
    status                TEXT NOT NULL DEFAULT 'idle'
                          CHECK (status IN ('starting', 'idle', 'running', 'queued', 'needs_input',
                                            'interrupted', 'failed', 'stopped', 'archived')),
    status_reason         TEXT,
    session_id            TEXT,
    adw_id                TEXT,
    adw_step              TEXT,
    input_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (typeof(input_tokens) = 'integer' AND input_tokens >= 0),
    output_tokens         INTEGER NOT NULL DEFAULT 0 CHECK (typeof(output_tokens) = 'integer' AND output_tokens >= 0),
    total_cost_pico       INTEGER NOT NULL DEFAULT 0 CHECK (typeof(total_cost_pico) = 'integer' AND total_cost_pico >= 0),
    archived              INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    metadata              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    log_seq               INTEGER NOT NULL DEFAULT 0 CHECK (typeof(log_seq) = 'integer' AND log_seq >= 0),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE agent_logs_v3 (
    id             TEXT PRIMARY KEY NOT NULL,
    agent_id       TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL CHECK (typeof(seq) = 'integer' AND seq >= 1),
    turn_id        TEXT,
    session_id     TEXT,
    task_slug      TEXT,
    adw_id         TEXT,
    adw_step       TEXT,
    entry_index    INTEGER,
    event_category TEXT NOT NULL CHECK (event_category IN ('hook', 'response', 'adw_step')),
    event_type     TEXT NOT NULL,
    content        TEXT,
    payload        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    summary        TEXT,
    timestamp      TEXT NOT NULL
);

INSERT INTO agent_logs_v3 (id, agent_id, seq, session_id, task_slug, adw_id, adw_step, entry_index, event_category,
                           event_type, content, payload, summary, timestamp)
SELECT id, agent_id, row_number() OVER (PARTITION BY agent_id ORDER BY timestamp, id), session_id, task_slug, adw_id,
       adw_step, entry_index, event_category, event_type, content, payload, summary, timestamp
FROM agent_logs;

INSERT INTO agents_v3 (id, orchestrator_agent_id, name, model, system_prompt, working_dir, git_worktree, status, session_id,
                       adw_id, adw_step, input_tokens, output_tokens, total_cost_pico, archived, metadata, log_seq,
                       created_at, updated_at)
SELECT id, orchestrator_agent_id, name, model, system_prompt, working_dir, git_worktree,
       CASE status WHEN 'executing' THEN 'running' WHEN 'waiting' THEN 'queued' WHEN 'blocked' THEN 'needs_input'
                   WHEN 'complete' THEN 'stopped' ELSE status END,
       session_id, adw_id, adw_step, input_tokens, output_tokens, total_cost_pico, archived, metadata,
       (SELECT count(*) FROM agent_logs_v3 WHERE agent_logs_v3.agent_id = agents.id),
       created_at, updated_at
FROM agents;

DROP TABLE agent_logs;
DROP TABLE agents;
ALTER TABLE agents_v3 RENAME TO agents;
ALTER TABLE agent_logs_v3 RENAME TO agent_logs;

CREATE INDEX idx_agents_status ON agents (status);
CREATE INDEX idx_agents_updated_at ON agents (updated_at DESC);
-- Names are unique among the live agents only: deleting an agent archives it, and its name is free again.
CREATE UNIQUE INDEX agents_name_unique ON agents (orchestrator_agent_id, name) WHERE archived = 0;
-- list_agents (creation order); also serves the cascade from orchestrator_agents.
CREATE INDEX idx_agents_orchestrator_created ON agents (orchestrator_agent_id, created_at);

-- agent_logs paging (seq > since_seq, ascending), the seq's uniqueness, and the cascade from agents.
-- It replaces idx_agent_logs_agent_time, whose two uses it serves.
CREATE UNIQUE INDEX idx_agent_logs_agent_seq ON agent_logs (agent_id, seq);
CREATE INDEX idx_agent_logs_task_index ON agent_logs (task_slug, entry_index) WHERE task_slug IS NOT NULL;
CREATE INDEX idx_agent_logs_category_type ON agent_logs (event_category, event_type);
CREATE INDEX idx_agent_logs_session ON agent_logs (session_id) WHERE session_id IS NOT NULL;

-- As in v1, for other writers; but not for log_seq alone: handing out a log seq is not a change of the agent.
CREATE TRIGGER agents_touch
    AFTER UPDATE OF orchestrator_agent_id, name, model, system_prompt, working_dir, git_worktree, status, status_reason,
                    session_id, adw_id, adw_step, input_tokens, output_tokens, total_cost_pico, archived, metadata
    ON agents
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE agents SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' WHERE id = NEW.id;
END;
