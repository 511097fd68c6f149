-- Orch schema, version 1, for SQLite: the same tables and rules as the
-- PostgreSQL schema (Plugins/PostgresStore/Sources/Migrations/schema_v1.sql),
-- in SQLite's types:
--   * ids are UUID text (lowercase, made by the plugin: time-ordered UUIDv7);
--   * timestamps are RFC 3339 UTC text with microseconds, fixed width, so they
--     sort as text; the plugin writes strictly increasing ones;
--   * costs are INTEGER pico-dollars (10^-12 USD): exact sums, no rounding;
--   * JSON is text checked with json_valid; booleans are 0/1.
-- Runs inside the migration transaction; never edit it once released: add
-- schema_v2.sql instead.

CREATE TABLE orchestrator_agents (
    id              TEXT PRIMARY KEY NOT NULL,
    session_id      TEXT CONSTRAINT orchestrator_agents_session_unique UNIQUE,
    system_prompt   TEXT,
    status          TEXT NOT NULL DEFAULT 'idle'
                    CHECK (status IN ('idle', 'executing', 'waiting', 'blocked', 'complete')),
    working_dir     TEXT,
    input_tokens    INTEGER NOT NULL DEFAULT 0 CHECK (typeof(input_tokens) = 'integer' AND input_tokens >= 0),
    output_tokens   INTEGER NOT NULL DEFAULT 0 CHECK (typeof(output_tokens) = 'integer' AND output_tokens >= 0),
    -- An integer sum that overflowed would turn REAL: the CHECK refuses it.
    total_cost_pico INTEGER NOT NULL DEFAULT 0 CHECK (typeof(total_cost_pico) = 'integer' AND total_cost_pico >= 0),
    archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX idx_orchestrator_agents_status ON orchestrator_agents (status);
CREATE INDEX idx_orchestrator_agents_updated_at ON orchestrator_agents (updated_at DESC);
-- get_or_create_orchestrator: the newest non-archived orchestrator.
CREATE INDEX idx_orchestrator_agents_active ON orchestrator_agents (created_at DESC) WHERE archived = 0;

CREATE TABLE agents (
    id                    TEXT PRIMARY KEY NOT NULL,
    orchestrator_agent_id TEXT NOT NULL REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    model                 TEXT NOT NULL,
    system_prompt         TEXT,
    working_dir           TEXT,
    git_worktree          TEXT,
    status                TEXT NOT NULL DEFAULT 'idle'
                          CHECK (status IN ('idle', 'executing', 'waiting', 'blocked', 'complete')),
    session_id            TEXT,
    adw_id                TEXT,
    adw_step              TEXT,
    input_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (typeof(input_tokens) = 'integer' AND input_tokens >= 0),
    output_tokens         INTEGER NOT NULL DEFAULT 0 CHECK (typeof(output_tokens) = 'integer' AND output_tokens >= 0),
    total_cost_pico       INTEGER NOT NULL DEFAULT 0 CHECK (typeof(total_cost_pico) = 'integer' AND total_cost_pico >= 0),
    archived              INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    metadata              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CONSTRAINT agents_name_unique UNIQUE (orchestrator_agent_id, name)
);
CREATE INDEX idx_agents_status ON agents (status);
CREATE INDEX idx_agents_updated_at ON agents (updated_at DESC);

CREATE TABLE orchestrator_chat (
    -- Insertion order (the rowid): history is ordered and paged by it, never by time.
    seq                   INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL CONSTRAINT orchestrator_chat_id_unique UNIQUE,
    orchestrator_agent_id TEXT NOT NULL REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    sender_type           TEXT NOT NULL CHECK (sender_type IN ('user', 'orchestrator', 'agent')),
    receiver_type         TEXT NOT NULL CHECK (receiver_type IN ('user', 'orchestrator', 'agent')),
    message               TEXT NOT NULL,
    summary               TEXT,
    agent_id              TEXT REFERENCES agents (id) ON DELETE CASCADE,
    metadata              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CONSTRAINT agent_id_required_for_agents
        CHECK ((sender_type = 'agent' OR receiver_type = 'agent') = (agent_id IS NOT NULL))
);
-- chat_history (a backward range scan from a cursor) and turn_count.
CREATE UNIQUE INDEX idx_orchestrator_chat_orch_seq ON orchestrator_chat (orchestrator_agent_id, seq);
CREATE INDEX idx_orchestrator_chat_agent_seq ON orchestrator_chat (agent_id, seq) WHERE agent_id IS NOT NULL;

CREATE TABLE agent_logs (
    id             TEXT PRIMARY KEY NOT NULL,
    agent_id       TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
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
-- An agent's newest logs; also serves the cascade from agents.
CREATE INDEX idx_agent_logs_agent_time ON agent_logs (agent_id, timestamp DESC);
CREATE INDEX idx_agent_logs_task_index ON agent_logs (task_slug, entry_index) WHERE task_slug IS NOT NULL;
CREATE INDEX idx_agent_logs_category_type ON agent_logs (event_category, event_type);
CREATE INDEX idx_agent_logs_session ON agent_logs (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE system_logs (
    id        TEXT PRIMARY KEY NOT NULL,
    file_path TEXT,
    adw_id    TEXT,
    adw_step  TEXT,
    level     TEXT NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR')),
    message   TEXT NOT NULL,
    summary   TEXT,
    metadata  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    timestamp TEXT NOT NULL
);
CREATE INDEX idx_system_logs_level_time ON system_logs (level, timestamp DESC);
CREATE INDEX idx_system_logs_timestamp ON system_logs (timestamp DESC);
CREATE INDEX idx_system_logs_orchestrator ON system_logs (json_extract(metadata, '$.orchestrator_agent_id'), timestamp)
    WHERE json_extract(metadata, '$.orchestrator_agent_id') IS NOT NULL;

-- The plugin sets updated_at itself (microseconds, strictly increasing); these
-- keep it right for any other writer that forgets to.
CREATE TRIGGER orchestrator_agents_touch AFTER UPDATE ON orchestrator_agents
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE orchestrator_agents SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' WHERE id = NEW.id;
END;
CREATE TRIGGER agents_touch AFTER UPDATE ON agents
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE agents SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' WHERE id = NEW.id;
END;
CREATE TRIGGER orchestrator_chat_touch AFTER UPDATE ON orchestrator_chat
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE orchestrator_chat SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' WHERE seq = NEW.seq;
END;
