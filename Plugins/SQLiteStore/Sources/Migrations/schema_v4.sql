-- Orch schema, version 4, for SQLite: read_system_logs finds the orchestrator's
-- thinking and tool-use blocks of given turns (load_chat, read_system_logs) by
-- metadata.turn_id; without this index every such read scanned the whole table.
-- Partial: log lines of no turn are not indexed. The query names the same
-- expression and the same IS NOT NULL, so SQLite matches the index to it.
-- Runs inside the migration transaction; never edit it once released.

CREATE INDEX idx_system_logs_turn ON system_logs (json_extract(metadata, '$.turn_id'), timestamp)
    WHERE json_extract(metadata, '$.turn_id') IS NOT NULL;
