-- Orch schema, version 4, for PostgreSQL: read_system_logs finds the
-- orchestrator's thinking and tool-use blocks of given turns (load_chat,
-- read_system_logs) by metadata.turn_id (metadata is JSONB); without this index
-- every such read scanned the whole table. Partial: log lines of no turn are
-- not indexed; the query repeats the predicate, so the planner can use it.
-- Runs inside the migration transaction; never edit it once released.

CREATE INDEX idx_system_logs_turn ON system_logs ((metadata ->> 'turn_id'), timestamp)
    WHERE (metadata ->> 'turn_id') IS NOT NULL;
