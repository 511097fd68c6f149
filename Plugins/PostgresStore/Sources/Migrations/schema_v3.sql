-- Orch schema, version 3, for PostgreSQL: what sub-agents need (issue #12).
--   * agents.status takes the sub-agent vocabulary (docs/protocol.md, "Agent");
--     existing values map executing → running, waiting → queued,
--     blocked → needs_input, complete → stopped, idle → idle;
--   * agents.status_reason says why an agent is stopped, failed, …;
--   * agents.log_seq is the last agent_logs.seq handed out for that agent;
--   * an agent's name is unique among its orchestrator's non-archived agents
--     only, so a deleted (archived) agent's name can be used again;
--   * agent_logs.seq numbers each agent's rows 1, 2, 3… (existing rows in
--     (timestamp, id) order), and agent_logs.turn_id names the turn.
-- Runs inside the migration transaction; never edit it once released.

-- Recreated below without log_seq; dropped first so that the rewrites here keep each agent's updated_at.
DROP TRIGGER agents_touch ON agents;

ALTER TABLE agents
    DROP CONSTRAINT agents_status_check,
    DROP CONSTRAINT agents_name_unique,
    ADD COLUMN status_reason TEXT,
    ADD COLUMN log_seq BIGINT NOT NULL DEFAULT 0 CONSTRAINT agents_log_seq_valid CHECK (log_seq >= 0);

UPDATE agents
SET status = CASE status WHEN 'executing' THEN 'running' WHEN 'waiting' THEN 'queued' WHEN 'blocked' THEN 'needs_input'
                         WHEN 'complete' THEN 'stopped' ELSE status END
WHERE status IN ('executing', 'waiting', 'blocked', 'complete');

ALTER TABLE agents ADD CONSTRAINT agents_status_valid
    CHECK (status IN ('starting', 'idle', 'running', 'queued', 'needs_input', 'interrupted', 'failed', 'stopped', 'archived'));

-- Names are unique among the live agents only: deleting an agent archives it, and its name is free again.
-- Named as the constraint it replaces, so a violation still says agents_name_unique.
CREATE UNIQUE INDEX agents_name_unique ON agents (orchestrator_agent_id, name) WHERE NOT archived;
-- list_agents (creation order); also serves the cascade from orchestrator_agents.
CREATE INDEX idx_agents_orchestrator_created ON agents (orchestrator_agent_id, created_at);

ALTER TABLE agent_logs ADD COLUMN seq BIGINT, ADD COLUMN turn_id TEXT;

UPDATE agent_logs SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (PARTITION BY agent_id ORDER BY timestamp, id) AS seq FROM agent_logs) AS numbered
WHERE agent_logs.id = numbered.id;

UPDATE agents SET log_seq = counted.last
FROM (SELECT agent_id, max(seq) AS last FROM agent_logs GROUP BY agent_id) AS counted
WHERE agents.id = counted.agent_id;

ALTER TABLE agent_logs
    ALTER COLUMN seq SET NOT NULL,
    ADD CONSTRAINT agent_logs_seq_valid CHECK (seq >= 1);

-- agent_logs paging (seq > since_seq, ascending), the seq's uniqueness, and the cascade from agents.
-- It replaces idx_agent_logs_agent_time, whose two uses it serves.
CREATE UNIQUE INDEX idx_agent_logs_agent_seq ON agent_logs (agent_id, seq);
DROP INDEX idx_agent_logs_agent_time;

-- As in v1, but not for log_seq alone: handing out a log seq is not a change of the agent.
CREATE TRIGGER agents_touch
    BEFORE INSERT OR UPDATE OF orchestrator_agent_id, name, model, system_prompt, working_dir, git_worktree, status,
                               status_reason, session_id, adw_id, adw_step, input_tokens, output_tokens, total_cost,
                               archived, metadata
    ON agents
    FOR EACH ROW EXECUTE FUNCTION orch_touch_updated_at();
