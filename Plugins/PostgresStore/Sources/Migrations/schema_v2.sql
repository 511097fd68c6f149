-- Orch schema, version 2, for PostgreSQL: each orchestrator's number of chat
-- rows, kept by statement-level triggers (one update per statement, however
-- many rows it wrote: a group commit or bulk_insert_chat costs one), so
-- `turn_count` is one lookup instead of counting a history of a million rows on
-- every page load (it was most of /load_chat's time).
-- Runs inside the migration transaction; never edit it once released.

CREATE TABLE orchestrator_chat_counts (
    orchestrator_agent_id UUID PRIMARY KEY
                          REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    chat_count            BIGINT NOT NULL CHECK (chat_count >= 0)
);

INSERT INTO orchestrator_chat_counts (orchestrator_agent_id, chat_count)
SELECT orchestrator_agent_id, count(*) FROM orchestrator_chat GROUP BY orchestrator_agent_id;

CREATE FUNCTION orch_count_inserted_chat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orchestrator_chat_counts AS counts (orchestrator_agent_id, chat_count)
    SELECT orchestrator_agent_id, count(*) FROM inserted GROUP BY orchestrator_agent_id
    ON CONFLICT (orchestrator_agent_id) DO UPDATE SET chat_count = counts.chat_count + EXCLUDED.chat_count;
    RETURN NULL;
END
$$;

CREATE FUNCTION orch_count_deleted_chat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE orchestrator_chat_counts AS counts SET chat_count = counts.chat_count - gone.rows
    FROM (SELECT orchestrator_agent_id, count(*) AS rows FROM deleted GROUP BY orchestrator_agent_id) AS gone
    WHERE counts.orchestrator_agent_id = gone.orchestrator_agent_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER orchestrator_chat_counted AFTER INSERT ON orchestrator_chat
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION orch_count_inserted_chat();
CREATE TRIGGER orchestrator_chat_uncounted AFTER DELETE ON orchestrator_chat
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION orch_count_deleted_chat();
