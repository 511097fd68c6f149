-- Orch schema, version 5, for PostgreSQL: permission requests. A tool the
-- orchestrator or an agent wants outside its allowed tools is a row here: pending
-- while someone is asked (the inbox), then decided once (the audit log: by whom,
-- how, when). Runs inside the migration transaction; never edit it once released.

CREATE TABLE permission_requests (
    id                    UUID PRIMARY KEY,
    orchestrator_agent_id UUID NOT NULL CONSTRAINT permission_requests_orchestrator_fk
                              REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    agent_id              UUID CONSTRAINT permission_requests_agent_fk REFERENCES agents (id) ON DELETE CASCADE,
    session_id            TEXT NOT NULL,
    tool_name             TEXT NOT NULL CHECK (tool_name <> ''),
    input                 JSONB NOT NULL DEFAULT '{}'::jsonb,
    suggestions           JSONB NOT NULL DEFAULT '[]'::jsonb,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'allowed', 'denied', 'expired', 'withdrawn')),
    decision              JSONB NOT NULL DEFAULT '{}'::jsonb,
    decided_by            TEXT CHECK (decided_by IN ('person', 'rule', 'timeout', 'host')),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    expires_at            TIMESTAMPTZ,
    decided_at            TIMESTAMPTZ,
    -- Decided exactly when it is no longer pending.
    CONSTRAINT permission_requests_decided CHECK ((status = 'pending') = (decided_by IS NULL)
                                                  AND (status = 'pending') = (decided_at IS NULL))
);
-- The audit log, newest first (ids are time-ordered UUIDv7); also serves the cascade.
CREATE INDEX idx_permission_requests_orchestrator ON permission_requests (orchestrator_agent_id, id);
-- The inbox: only what is still pending.
CREATE INDEX idx_permission_requests_pending ON permission_requests (orchestrator_agent_id, id) WHERE status = 'pending';
CREATE INDEX idx_permission_requests_agent ON permission_requests (agent_id) WHERE agent_id IS NOT NULL;
