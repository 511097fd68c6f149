-- Orch schema, version 1, for PostgreSQL.
--
-- The tables of the original orchestrator_db (migrations 0–8), with its known
-- defects fixed:
--   * costs are NUMERIC(20,12): increments are kept exactly (the original's
--     DECIMAL(10,4) rounded every turn to 1/100 cent);
--   * updated_at is maintained by a trigger on every table that has it (the
--     original had none on orchestrator_chat);
--   * chat rows carry `seq`, their insertion order, so history pages are exact
--     even for rows written within the same microsecond;
--   * tokens are BIGINT, enumerated columns are NOT NULL with a CHECK, and
--     constraints are named so the plugin can tell its errors apart.
-- Runs inside the migration transaction; never edit it once released: add
-- schema_v2.sql instead.

-- A new row's updated_at is its created_at; an update stamps the time of the update.
CREATE FUNCTION orch_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.updated_at := NEW.created_at;
    ELSE
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;

CREATE TABLE orchestrator_agents (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id    TEXT CONSTRAINT orchestrator_agents_session_unique UNIQUE,
    system_prompt TEXT,
    status        TEXT NOT NULL DEFAULT 'idle'
                  CHECK (status IN ('idle', 'executing', 'waiting', 'blocked', 'complete')),
    working_dir   TEXT,
    input_tokens  BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    total_cost    NUMERIC(20, 12) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    archived      BOOLEAN NOT NULL DEFAULT false,
    metadata      JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX idx_orchestrator_agents_status ON orchestrator_agents (status);
CREATE INDEX idx_orchestrator_agents_updated_at ON orchestrator_agents (updated_at DESC);
-- get_or_create_orchestrator: the newest non-archived orchestrator.
CREATE INDEX idx_orchestrator_agents_active ON orchestrator_agents (created_at DESC) WHERE NOT archived;
CREATE TRIGGER orchestrator_agents_touch BEFORE INSERT OR UPDATE ON orchestrator_agents
    FOR EACH ROW EXECUTE FUNCTION orch_touch_updated_at();

CREATE TABLE agents (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    orchestrator_agent_id UUID NOT NULL
                          CONSTRAINT agents_orchestrator_fk REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
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
    input_tokens          BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens         BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    total_cost            NUMERIC(20, 12) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    archived              BOOLEAN NOT NULL DEFAULT false,
    metadata              JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- Also the index for "the agents of an orchestrator" and lookups by name.
    CONSTRAINT agents_name_unique UNIQUE (orchestrator_agent_id, name)
);
CREATE INDEX idx_agents_status ON agents (status);
CREATE INDEX idx_agents_updated_at ON agents (updated_at DESC);
CREATE TRIGGER agents_touch BEFORE INSERT OR UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION orch_touch_updated_at();

CREATE TABLE orchestrator_chat (
    id                    UUID CONSTRAINT orchestrator_chat_pkey PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Insertion order: history is ordered and paged by it, never by time.
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY,
    orchestrator_agent_id UUID NOT NULL
                          CONSTRAINT orchestrator_chat_orchestrator_fk REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    sender_type           TEXT NOT NULL CHECK (sender_type IN ('user', 'orchestrator', 'agent')),
    receiver_type         TEXT NOT NULL CHECK (receiver_type IN ('user', 'orchestrator', 'agent')),
    message               TEXT NOT NULL,
    summary               TEXT,
    agent_id              UUID CONSTRAINT orchestrator_chat_agent_fk REFERENCES agents (id) ON DELETE CASCADE,
    metadata              JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT agent_id_required_for_agents
        CHECK ((sender_type = 'agent' OR receiver_type = 'agent') = (agent_id IS NOT NULL))
);
-- chat_history (a backward range scan from a cursor) and turn_count.
CREATE UNIQUE INDEX idx_orchestrator_chat_orch_seq ON orchestrator_chat (orchestrator_agent_id, seq);
CREATE INDEX idx_orchestrator_chat_agent_seq ON orchestrator_chat (agent_id, seq) WHERE agent_id IS NOT NULL;
CREATE TRIGGER orchestrator_chat_touch BEFORE INSERT OR UPDATE ON orchestrator_chat
    FOR EACH ROW EXECUTE FUNCTION orch_touch_updated_at();

CREATE TABLE agent_logs (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id       UUID NOT NULL CONSTRAINT agent_logs_agent_fk REFERENCES agents (id) ON DELETE CASCADE,
    session_id     TEXT,
    task_slug      TEXT,
    adw_id         TEXT,
    adw_step       TEXT,
    entry_index    INTEGER,
    event_category TEXT NOT NULL CHECK (event_category IN ('hook', 'response', 'adw_step')),
    event_type     TEXT NOT NULL,
    content        TEXT,
    payload        JSONB NOT NULL DEFAULT '{}'::jsonb,
    summary        TEXT,
    timestamp      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
-- An agent's newest logs; also serves the cascade from agents.
CREATE INDEX idx_agent_logs_agent_time ON agent_logs (agent_id, timestamp DESC);
CREATE INDEX idx_agent_logs_task_index ON agent_logs (task_slug, entry_index) WHERE task_slug IS NOT NULL;
CREATE INDEX idx_agent_logs_category_type ON agent_logs (event_category, event_type);
CREATE INDEX idx_agent_logs_session ON agent_logs (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE system_logs (
    id        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    file_path TEXT,
    adw_id    TEXT,
    adw_step  TEXT,
    level     TEXT NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR')),
    message   TEXT NOT NULL,
    summary   TEXT,
    metadata  JSONB NOT NULL DEFAULT '{}'::jsonb,
    timestamp TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX idx_system_logs_level_time ON system_logs (level, timestamp DESC);
CREATE INDEX idx_system_logs_timestamp ON system_logs (timestamp DESC);
-- The orchestrator's thinking and tool-use blocks are found by this JSON field
-- (the original scanned the whole table for it).
CREATE INDEX idx_system_logs_orchestrator ON system_logs ((metadata ->> 'orchestrator_agent_id'), timestamp)
    WHERE metadata ? 'orchestrator_agent_id';
