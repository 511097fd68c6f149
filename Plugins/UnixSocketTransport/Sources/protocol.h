/*
 * protocol.h — the client side of the wire: what a client's line asks for,
 * and the lines the transport itself sends back.
 *
 * Client lines are JSON objects with a "type" (the WebSocket transport's
 * message types, see docs/writing-a-plugin.md). Each becomes one host
 * operation (host->request) built from the client's own JSON values, or is
 * refused with an error line saying what was wrong.
 */
#ifndef UST_PROTOCOL_H
#define UST_PROTOCOL_H

#include "buf.h"
#include "json.h"

#include <stddef.h>
#include <stdint.h>

/* How a host reply is turned into lines for the client. */
typedef enum reply_style {
    REPLY_ACK,       /* {"type":"ack", ...the host's reply}              */
    REPLY_HISTORY,   /* {"type":"chat_history", ...the host's reply}     */
    REPLY_RESUME     /* the missed events, then "resumed" or "reload_required" */
} reply_style;

typedef struct route route;

/* The name of the client message a route serves, and how its reply is shaped. */
const char *route_type(const route *r);
reply_style route_style(const route *r);

/* A client line, understood. Spans point into the line. */
typedef struct client_request {
    const route *route;        /* NULL for ping, which the transport answers itself */
    json_span request_id;      /* the raw request_id, or len 0 */
    json_span orchestrator;    /* the raw orchestrator_agent_id, or len 0 */
    uint64_t last_seq;         /* resume only */
    buf host_request;          /* the JSON for host->request; the caller frees it */
} client_request;

/* Why a line was refused: a snake_case code and a message for a human. */
typedef struct refusal {
    const char *code;
    const char *in_reply_to;   /* the message type, when the line got far enough to have one */
    json_span request_id;
    char message[320];
} refusal;

/* Understands one line (without its '\n'). Returns 1 and fills *out, or 0 and *why. */
int protocol_parse(const uint8_t *line, size_t len, client_request *out, refusal *why);

/* The transport's own lines (no trailing newline). in_reply_to may be NULL;
 * request_id may be empty. */
void render_error(buf *b, const char *code, const uint8_t *message, size_t message_len,
                  const char *in_reply_to, json_span request_id);
void render_pong(buf *b, json_span request_id);
void render_connected(buf *b, uint64_t client_id, size_t max_line_bytes, uint64_t last_seq, const char *stream_id);
/* The host's reply object with "type" and the request's name put in front.
 * Returns 0 if body is not a JSON object. */
int render_reply(buf *b, const char *type, const char *in_reply_to, json_span request_id, const uint8_t *body, size_t body_len);
/* A host error body ({"code","message","retryable"}) as an error line. */
void render_host_error(buf *b, int status, const char *in_reply_to, json_span request_id, const uint8_t *body, size_t body_len);
void render_resumed(buf *b, json_span orchestrator, uint64_t replayed, uint64_t last_seq, json_span request_id);
/* `message` says why the events cannot be replayed. */
void render_reload_required(buf *b, json_span orchestrator, json_span host_last_seq, json_span request_id, const char *message);

#endif
