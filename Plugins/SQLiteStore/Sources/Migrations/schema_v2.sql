-- Orch schema, version 2, for SQLite: each orchestrator's number of chat rows,
-- kept by triggers, so `turn_count` is one lookup instead of counting a history
-- of a million rows on every page load (it was most of /load_chat's time).
-- Runs inside the migration transaction; never edit it once released.

CREATE TABLE orchestrator_chat_counts (
    orchestrator_agent_id TEXT PRIMARY KEY NOT NULL
                          REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    chat_count            INTEGER NOT NULL CHECK (chat_count >= 0)
) WITHOUT ROWID;

INSERT INTO orchestrator_chat_counts (orchestrator_agent_id, chat_count)
SELECT orchestrator_agent_id, count(*) FROM orchestrator_chat GROUP BY orchestrator_agent_id;

CREATE TRIGGER orchestrator_chat_counted AFTER INSERT ON orchestrator_chat
BEGIN
    INSERT INTO orchestrator_chat_counts (orchestrator_agent_id, chat_count) VALUES (NEW.orchestrator_agent_id, 1)
    ON CONFLICT (orchestrator_agent_id) DO UPDATE SET chat_count = chat_count + 1;
END;

CREATE TRIGGER orchestrator_chat_uncounted AFTER DELETE ON orchestrator_chat
BEGIN
    UPDATE orchestrator_chat_counts SET chat_count = chat_count - 1 WHERE orchestrator_agent_id = OLD.orchestrator_agent_id;
END;
