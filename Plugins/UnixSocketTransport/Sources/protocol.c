/* Client messages and the transport's own replies; see protocol.h. */
#include "protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* FIELD_ANY: passed on as it is; the host checks it (lists and numbers of create_agent). */
typedef enum field_kind { FIELD_STRING, FIELD_UINT, FIELD_BOOL, FIELD_ANY } field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    int required;
} field;

struct route {
    const char *type;      /* what the client sends */
    const char *op;        /* the host operation it becomes */
    reply_style style;
    const field *fields;   /* copied into the host request; ends with a NULL name */
};

static const field chat_fields[] = {
    { "orchestrator_agent_id", FIELD_STRING, 1 }, { "message", FIELD_STRING, 1 }, { "wait", FIELD_BOOL, 0 }, { NULL, 0, 0 } };
static const field orchestrator_fields[] = { { "orchestrator_agent_id", FIELD_STRING, 1 }, { NULL, 0, 0 } };
static const field resume_fields[] = {
    { "orchestrator_agent_id", FIELD_STRING, 1 }, { "last_seq", FIELD_UINT, 1 }, { NULL, 0, 0 } };
static const field history_fields[] = {
    { "orchestrator_agent_id", FIELD_STRING, 1 }, { "limit", FIELD_UINT, 0 }, { "before", FIELD_STRING, 0 }, { NULL, 0, 0 } };
static const field no_fields[] = { { NULL, 0, 0 } };
static const field create_agent_fields[] = {
    { "name", FIELD_STRING, 1 }, { "system_prompt", FIELD_STRING, 0 }, { "template", FIELD_STRING, 0 }, { "model", FIELD_STRING, 0 },
    { "allowed_tools", FIELD_ANY, 0 }, { "disallowed_tools", FIELD_ANY, 0 }, { "budget_usd", FIELD_ANY, 0 }, { "max_turns", FIELD_UINT, 0 },
    { NULL, 0, 0 } };
static const field agent_fields[] = { { "agent_id", FIELD_STRING, 1 }, { NULL, 0, 0 } };
static const field agent_log_fields[] = {
    { "agent_id", FIELD_STRING, 1 }, { "since_seq", FIELD_UINT, 0 }, { "limit", FIELD_UINT, 0 }, { NULL, 0, 0 } };
static const field agent_command_fields[] = {
    { "agent_id", FIELD_STRING, 1 }, { "command", FIELD_STRING, 1 }, { "if_busy", FIELD_STRING, 0 }, { NULL, 0, 0 } };

static const field inbox_fields[] = { { "limit", FIELD_UINT, 0 }, { NULL, 0, 0 } };
static const field permission_log_fields[] = { { "before", FIELD_STRING, 0 }, { "limit", FIELD_UINT, 0 }, { NULL, 0, 0 } };
static const field answer_fields[] = {
    { "id", FIELD_STRING, 1 }, { "decision", FIELD_STRING, 1 }, { "scope", FIELD_STRING, 0 }, { "message", FIELD_STRING, 0 },
    { "updated_input", FIELD_ANY, 0 }, { NULL, 0, 0 } };
static const field answers_fields[] = { { "answers", FIELD_ANY, 1 }, { NULL, 0, 0 } };

static const route routes[] = {
    { "chat_message", "send_chat", REPLY_ACK, chat_fields },
    { "interrupt", "interrupt", REPLY_ACK, orchestrator_fields },
    { "resume", "resume", REPLY_RESUME, resume_fields },
    { "load_chat", "load_chat", REPLY_HISTORY, history_fields },
    { "get_orchestrator", "get_orchestrator", REPLY_ACK, no_fields },
    { "health", "health", REPLY_ACK, no_fields },
    /* The team (docs/agents.md): a person drives agents from the terminal as from the browser. */
    { "list_agents", "list_agents", REPLY_ACK, no_fields },
    { "create_agent", "create_agent", REPLY_ACK, create_agent_fields },
    { "get_agent", "get_agent", REPLY_ACK, agent_fields },
    { "agent_logs", "agent_logs", REPLY_ACK, agent_log_fields },
    { "command_agent", "command_agent", REPLY_ACK, agent_command_fields },
    { "interrupt_agent", "interrupt_agent", REPLY_ACK, agent_fields },
    { "delete_agent", "delete_agent", REPLY_ACK, agent_fields },
    /* The permission inbox (docs/permissions.md): questions answered from the terminal as from the browser. */
    { "inbox", "inbox", REPLY_ACK, inbox_fields },
    { "answer_permission", "answer_permission", REPLY_ACK, answer_fields },
    { "answer_permissions", "answer_permissions", REPLY_ACK, answers_fields },
    { "permission_log", "permission_log", REPLY_ACK, permission_log_fields },
};

static const char *const all_types = "chat_message, interrupt, resume, load_chat, get_orchestrator, health, ping, "
                                     "list_agents, create_agent, get_agent, agent_logs, command_agent, interrupt_agent, delete_agent, "
                                     "inbox, answer_permission, answer_permissions, permission_log";

const char *route_type(const route *r) { return r->type; }
reply_style route_style(const route *r) { return r->style; }

static const char *kind_name(field_kind kind) {
    switch (kind) {
    case FIELD_STRING: return "a string";
    case FIELD_UINT: return "a non-negative integer";
    case FIELD_BOOL: return "true or false";
    default: return "any JSON value";
    }
}

__attribute__((format(printf, 3, 4)))
static int refuse(refusal *why, const char *code, const char *format, ...) {
    why->code = code;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(why->message, sizeof why->message, format, arguments);
    va_end(arguments);
    return 0;
}

/* Checks a route's fields and appends them to the host request. */
static int copy_fields(const route *r, json_span object, client_request *out, refusal *why) {
    for (const field *f = r->fields; f->name; f++) {
        json_span value;
        int present = json_get(object, f->name, &value) && value.type != JSON_NULL;
        if (!present) {
            if (f->required) return refuse(why, "invalid_request", "%s needs \"%s\"", r->type, f->name);
            continue;
        }
        uint64_t number;
        int ok = f->kind == FIELD_ANY ? 1
               : f->kind == FIELD_STRING ? value.type == JSON_STRING
               : f->kind == FIELD_BOOL ? value.type == JSON_BOOL
               : json_to_u64(value, &number);
        if (!ok) return refuse(why, "invalid_request", "%s: \"%s\" must be %s", r->type, f->name, kind_name(f->kind));
        if (strcmp(f->name, "last_seq") == 0) out->last_seq = number;
        if (strcmp(f->name, "orchestrator_agent_id") == 0) out->orchestrator = value;
        buf_append_str(&out->host_request, ",\"");
        buf_append_str(&out->host_request, f->name);
        buf_append_str(&out->host_request, "\":");
        buf_append(&out->host_request, value.ptr, value.len);
    }
    return 1;
}

static int read_request_id(json_span object, client_request *out, refusal *why) {
    json_span id;
    if (!json_get(object, "request_id", &id) || id.type == JSON_NULL) return 1;
    int64_t number;
    if ((id.type == JSON_STRING && id.len <= 130) || json_to_i64(id, &number)) {
        out->request_id = id;
        return 1;
    }
    return refuse(why, "invalid_request", "request_id must be a string of at most 128 bytes or an integer");
}

int protocol_parse(const uint8_t *line, size_t len, client_request *out, refusal *why) {
    memset(out, 0, sizeof *out);
    memset(why, 0, sizeof *why);
    buf_init(&out->host_request);
    if (!json_valid_utf8(line, len))
        return refuse(why, "invalid_utf8", "the line is not valid UTF-8; send UTF-8 JSON, one object per line");
    json_span object;
    json_error problem;
    if (!json_parse(line, len, 64, &object, &problem))
        return refuse(why, "invalid_json", "the line is not JSON (%s at byte %zu); send one JSON object per line, e.g. {\"type\":\"ping\"}",
                      problem.reason, problem.offset);
    if (object.type != JSON_OBJECT)
        return refuse(why, "invalid_json", "a line must be a JSON object with a \"type\", e.g. {\"type\":\"ping\"}");
    json_span type;
    if (!json_get(object, "type", &type))
        return refuse(why, "invalid_request", "missing field \"type\"; send one of %s", all_types);
    if (type.type != JSON_STRING)
        return refuse(why, "invalid_request", "field \"type\" must be a string, one of %s", all_types);
    if (!read_request_id(object, out, why)) return 0;
    why->request_id = out->request_id;
    if (json_string_equals(type, "ping")) {
        why->in_reply_to = "ping";
        return 1;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *r = &routes[i];
        if (!json_string_equals(type, r->type)) continue;
        why->in_reply_to = r->type;
        out->route = r;
        buf_append_str(&out->host_request, "{\"op\":\"");
        buf_append_str(&out->host_request, r->op);
        buf_append_str(&out->host_request, "\"");
        if (!copy_fields(r, object, out, why)) {
            buf_free(&out->host_request);
            return 0;
        }
        buf_append_str(&out->host_request, "}");
        return 1;
    }
    char shown[70];
    if (!json_decode_string(type, shown, sizeof shown)) snprintf(shown, sizeof shown, "(too long)");
    return refuse(why, "unknown_type", "unknown message type \"%s\"; send one of %s", shown, all_types);
}

/* ---- the transport's own lines ---- */

static void append_reply_header(buf *b, const char *type, const char *in_reply_to, json_span request_id) {
    buf_append_str(b, "{\"type\":\"");
    buf_append_str(b, type);
    buf_append_str(b, "\"");
    if (in_reply_to) {
        buf_append_str(b, ",\"in_reply_to\":\"");
        buf_append_str(b, in_reply_to);
        buf_append_str(b, "\"");
    }
    if (request_id.len) {
        buf_append_str(b, ",\"request_id\":");
        buf_append(b, request_id.ptr, request_id.len);
    }
}

void render_error(buf *b, const char *code, const uint8_t *message, size_t message_len, const char *in_reply_to, json_span request_id) {
    append_reply_header(b, "error", in_reply_to, request_id);
    buf_append_str(b, ",\"code\":");
    buf_append_json_string(b, (const uint8_t *)code, strlen(code));
    buf_append_str(b, ",\"message\":");
    buf_append_json_string(b, message, message_len);
    buf_append_str(b, ",\"timestamp\":");
    buf_append_timestamp(b);
    buf_append_str(b, "}");
}

void render_pong(buf *b, json_span request_id) {
    append_reply_header(b, "pong", "ping", request_id);
    buf_append_str(b, ",\"timestamp\":");
    buf_append_timestamp(b);
    buf_append_str(b, "}");
}

void render_connected(buf *b, uint64_t client_id, size_t max_line_bytes, uint64_t last_seq, const char *stream_id) {
    buf_append_str(b, "{\"type\":\"connection_established\",\"client_id\":\"client_");
    buf_append_u64(b, client_id);
    buf_append_str(b, "\",\"timestamp\":");
    buf_append_timestamp(b);
    buf_append_str(b, ",\"message\":\"Connected to Orchestrator Backend\",\"max_line_bytes\":");
    buf_append_u64(b, max_line_bytes);
    buf_append_str(b, ",\"last_seq\":");
    buf_append_u64(b, last_seq);
    buf_append_str(b, ",\"stream_id\":\"");
    buf_append_str(b, stream_id);
    buf_append_str(b, "\"}");
}

int render_reply(buf *b, const char *type, const char *in_reply_to, json_span request_id, const uint8_t *body, size_t body_len) {
    json_span reply;
    if (!json_parse(body, body_len, 512, &reply, NULL) || reply.type != JSON_OBJECT) return 0;
    append_reply_header(b, type, in_reply_to, request_id);
    json_iter it = json_iterate(reply);
    json_span key, value;
    while (json_next_member(&it, &key, &value)) {
        if (json_string_equals(key, "type") || json_string_equals(key, "in_reply_to") || json_string_equals(key, "request_id")) continue;
        buf_append_str(b, ",");
        buf_append(b, key.ptr, key.len);
        buf_append_str(b, ":");
        buf_append(b, value.ptr, value.len);
    }
    buf_append_str(b, "}");
    return 1;
}

void render_host_error(buf *b, int status, const char *in_reply_to, json_span request_id, const uint8_t *body, size_t body_len) {
    json_span error, code, message, retryable;
    int readable = json_parse(body, body_len, 64, &error, NULL) && error.type == JSON_OBJECT &&
                   json_get(error, "code", &code) && code.type == JSON_STRING &&
                   json_get(error, "message", &message) && message.type == JSON_STRING;
    if (!readable) {
        char text[160];
        int n = snprintf(text, sizeof text, "the host failed the request (status %d) without a readable reason; see the host's log", status);
        render_error(b, "internal", (const uint8_t *)text, (size_t)n, in_reply_to, request_id);
        return;
    }
    append_reply_header(b, "error", in_reply_to, request_id);
    buf_append_str(b, ",\"code\":");
    buf_append(b, code.ptr, code.len);
    buf_append_str(b, ",\"message\":");
    buf_append(b, message.ptr, message.len);
    if (json_get(error, "retryable", &retryable) && retryable.type == JSON_BOOL) {
        buf_append_str(b, ",\"retryable\":");
        buf_append(b, retryable.ptr, retryable.len);
    }
    buf_append_str(b, ",\"timestamp\":");
    buf_append_timestamp(b);
    buf_append_str(b, "}");
}

void render_resumed(buf *b, json_span orchestrator, uint64_t replayed, uint64_t last_seq, json_span request_id) {
    append_reply_header(b, "resumed", "resume", request_id);
    buf_append_str(b, ",\"orchestrator_agent_id\":");
    buf_append(b, orchestrator.ptr, orchestrator.len);
    buf_append_str(b, ",\"replayed\":");
    buf_append_u64(b, replayed);
    buf_append_str(b, ",\"last_seq\":");
    buf_append_u64(b, last_seq);
    buf_append_str(b, "}");
}

void render_reload_required(buf *b, json_span orchestrator, json_span host_last_seq, json_span request_id, const char *message) {
    append_reply_header(b, "reload_required", "resume", request_id);
    buf_append_str(b, ",\"orchestrator_agent_id\":");
    buf_append(b, orchestrator.ptr, orchestrator.len);
    buf_append_str(b, ",\"last_seq\":");
    if (host_last_seq.type == JSON_NUMBER) buf_append(b, host_last_seq.ptr, host_last_seq.len);
    else buf_append_str(b, "0");
    buf_append_str(b, ",\"message\":");
    buf_append_json_string(b, (const uint8_t *)message, strlen(message));
    buf_append_str(b, "}");
}
