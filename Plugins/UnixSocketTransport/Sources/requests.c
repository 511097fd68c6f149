/*
 * Client lines that become host requests, and the host's replies: each reply
 * goes to the client that asked (named by id: it may be gone by then), a
 * resume's missed events are replayed before the live ones held meanwhile, and
 * one client's chat messages reach the host one at a time, in order.
 */
#define _POSIX_C_SOURCE 200809L
#include "transport.h"
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One client request in flight: what its reply needs once the host answers. */
typedef struct pending_request {
    transport *t;
    uint64_t client_id;
    const route *route;
    uint64_t last_seq;
    json_span request_id;      /* points into `echo` */
    json_span orchestrator;    /* points into `echo` */
    uint8_t echo[];
} pending_request;

static pending_request *pending_new(transport *t, uint64_t client_id, const client_request *request) {
    size_t id_len = request->request_id.len, orchestrator_len = request->orchestrator.len;
    pending_request *r = malloc(sizeof *r + id_len + orchestrator_len + 1);
    if (!r) return NULL;
    r->t = t;
    r->client_id = client_id;
    r->route = request->route;
    r->last_seq = request->last_seq;
    if (id_len) memcpy(r->echo, request->request_id.ptr, id_len);
    if (orchestrator_len) memcpy(r->echo + id_len, request->orchestrator.ptr, orchestrator_len);
    r->request_id = (json_span){ r->echo, id_len, request->request_id.type };
    r->orchestrator = (json_span){ r->echo + id_len, orchestrator_len, JSON_STRING };
    return r;
}

/* Whether a replayed event is one the client has not had. */
static int replay_wanted(const client *c, const pending_request *r, json_span event, uint64_t *seq) {
    json_span seq_span;
    return json_get(event, "seq", &seq_span) && json_to_u64(seq_span, seq) && *seq > r->last_seq && !client_has_seq(c, *seq);
}

/* Whether the replay fits in what the client may have queued (client_queue_limit,
 * client_queue_bytes); sets *newest to the newest seq in it. A replay that does
 * not fit is not sent: the client is told to reload its history instead of
 * being dropped (it would only resume into the same wall again). */
static int replay_fits(const transport *t, const client *c, const pending_request *r, json_span events, uint64_t *newest) {
    size_t lines = c->out.count + c->held.count, bytes = c->out.bytes + c->held.bytes;
    json_iter it = json_iterate(events);
    json_span event;
    uint64_t seq;
    while (json_next_element(&it, &event)) {
        if (!replay_wanted(c, r, event, &seq)) continue;
        lines++;
        bytes += event.len + 1;
        if (seq > *newest) *newest = seq;
    }
    return lines < t->opts.client_queue_limit && bytes < t->opts.client_queue_bytes;
}

static const char *const reload_gone = "the events you missed are no longer kept; reload history with load_chat, then continue from last_seq";

/* Writes the replayed events a client has not had, then "resumed"; then the
 * live events held meanwhile. Called with the lock held. */
static void answer_resume(transport *t, client *c, const pending_request *r, json_span reply) {
    buf b;
    buf_init(&b);
    json_span status, events = { NULL, 0, JSON_NULL }, event;
    uint64_t newest = 0;
    if (json_get(reply, "status", &status) && json_string_equals(status, "reload")) {
        json_span host_last = { NULL, 0, JSON_NULL };
        json_get(reply, "last_seq", &host_last);
        render_reload_required(&b, r->orchestrator, host_last, r->request_id, reload_gone);
    } else if (json_get(reply, "events", &events) && events.type == JSON_ARRAY && !replay_fits(t, c, r, events, &newest)) {
        char message[300], digits[24];
        snprintf(message, sizeof message, "the events you missed are more than a connection may have queued (client_queue_limit %zu lines, "
                 "client_queue_bytes %zu); reload history with load_chat, then continue from last_seq", t->opts.client_queue_limit, t->opts.client_queue_bytes);
        int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)newest);
        json_span last = { (const uint8_t *)digits, (size_t)n, JSON_NUMBER };
        render_reload_required(&b, r->orchestrator, last, r->request_id, message);
        /* The history it reloads holds everything up to `newest`: none of it is sent again. */
        c->run_low = 1;
        c->run_high = newest;
    } else {
        uint64_t replayed = 0;
        newest = c->run_high;
        json_iter it = json_iterate(events);
        while (events.type == JSON_ARRAY && json_next_element(&it, &event)) {
            uint64_t seq;
            if (!replay_wanted(c, r, event, &seq)) continue;
            line *l = line_new(event.ptr, event.len, seq);
            if (!l || !queue_push(&c->out, l)) {
                line_release(l);
                client_mark_overflowed(t, c);
                break;
            }
            line_release(l);
            replayed++;
            if (seq > newest) newest = seq;
        }
        if (newest > r->last_seq) {
            c->run_low = r->last_seq + 1;
            c->run_high = newest;
        }
        render_resumed(&b, r->orchestrator, replayed, c->run_high > r->last_seq ? c->run_high : r->last_seq, r->request_id);
    }
    if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
    buf_free(&b);
}

/* After a resume (answered or failed): the held live events follow, minus any already sent. */
static void release_held(transport *t, client *c) {
    c->resuming = 0;
    while (c->held.count) {
        line *l = queue_at(&c->held, 0);
        if (!client_has_seq(c, l->seq)) client_enqueue(t, c, l, 1);
        queue_pop(&c->held);
    }
}

static int is_chat(const pending_request *r) { return strcmp(route_type(r->route), "chat_message") == 0; }

void transport_drop_deferred(transport *t, client *c) {
    while (c->chats) {
        deferred *d = c->chats;
        c->chats = d->next;
        free(d->request);
        free(d);
        t->pending--;
    }
    c->chats_tail = NULL;
    if (t->pending == 0) pthread_cond_broadcast(&t->idle);
}

/* The next chat message of a client, once the one before it was answered.
 * Called with the lock held; the caller sends it after unlocking. */
static deferred *next_chat(client *c) {
    deferred *d = c->chats;
    if (!d) {
        c->chat_in_flight = 0;
        return NULL;
    }
    c->chats = d->next;
    if (!c->chats) c->chats_tail = NULL;
    return d;
}

static void on_host_reply(void *ctx, orch_status status, orch_bytes body);

static void send_to_host(transport *t, pending_request *r, const uint8_t *json, size_t len) {
    orch_bytes request = { json, len };
    orch_completion completion = { r, on_host_reply };
    t->host->request(t->host, request, completion);
}

static void on_host_reply(void *ctx, orch_status status, orch_bytes body) {
    pending_request *r = ctx;
    transport *t = r->t;
    const char *type = route_type(r->route);
    buf b;
    buf_init(&b);
    json_span reply = { NULL, 0, JSON_NULL };
    int is_resume = route_style(r->route) == REPLY_RESUME, resumed = 0;
    if (status != ORCH_OK) {
        render_host_error(&b, status, type, r->request_id, body.ptr, body.len);
    } else if (is_resume) {
        resumed = json_parse(body.ptr, body.len, 512, &reply, NULL) && reply.type == JSON_OBJECT;
        if (!resumed) {
            const char *text = "the host's resume reply was not a JSON object; reload history with load_chat";
            render_error(&b, "internal", (const uint8_t *)text, strlen(text), type, r->request_id);
        }
    } else {
        const char *line_type = route_style(r->route) == REPLY_HISTORY ? "chat_history" : "ack";
        if (!render_reply(&b, line_type, type, r->request_id, body.ptr, body.len)) {
            const char *text = "the host's reply was not a JSON object; see the host's log";
            render_error(&b, "internal", (const uint8_t *)text, strlen(text), type, r->request_id);
        }
    }
    deferred *next = NULL;
    pthread_mutex_lock(&t->lock);
    client *c = transport_find_client(t, r->client_id);
    if (c) {
        c->inflight--;
        if (is_chat(r)) next = next_chat(c);
        if (resumed) answer_resume(t, c, r, reply);
        else if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
        if (is_resume) release_held(t, c);
    }
    t->pending--;
    if (t->pending == 0) pthread_cond_broadcast(&t->idle);
    orch_completion stop = transport_take_stop(t);
    pthread_mutex_unlock(&t->lock);
    buf_free(&b);
    free(r);
    if (next) {
        send_to_host(t, next->request, next->json, next->len);
        free(next);
    }
    if (stop.fn) transport_complete(stop, ORCH_OK, "{}");
}

static void answer_locally(transport *t, client *c, const buf *b);

static void refuse_line(transport *t, client *c, const refusal *why) {
    buf b;
    buf_init(&b);
    render_error(&b, why->code, (const uint8_t *)why->message, strlen(why->message), why->in_reply_to, why->request_id);
    answer_locally(t, c, &b);
    buf_free(&b);
}

/* Why a request cannot be taken now, if it cannot. */
typedef struct busy {
    const char *code;
    const char *message;
} busy;

static const busy out_of_memory = { "out_of_memory", "the transport ran out of memory for this request; try again" };
static const busy too_many = { "too_many_requests", "16 requests are already running for this connection; wait for their replies" };
static const busy resuming = { "resume_in_progress", "a resume is already running on this connection; wait for resumed" };

/* Counts the request as outstanding, or says why not. A chat message waits in
 * `c->chats` while another of the client's is with the host (*queued set).
 * Called with the lock held. */
static const busy *admit(transport *t, client *c, pending_request *r, deferred *wait, int *queued) {
    *queued = 0;
    if (!r || (is_chat(r) && !wait)) return &out_of_memory;
    if (c->inflight >= UST_MAX_INFLIGHT && strcmp(route_type(r->route), "interrupt") != 0) return &too_many;
    if (route_style(r->route) == REPLY_RESUME && c->resuming) return &resuming;
    c->inflight++;
    t->pending++;
    if (route_style(r->route) == REPLY_RESUME) c->resuming = 1;
    if (!is_chat(r)) return NULL;
    if (!c->chat_in_flight) {
        c->chat_in_flight = 1;
        return NULL;
    }
    if (c->chats_tail) c->chats_tail->next = wait;
    else c->chats = wait;
    c->chats_tail = wait;
    *queued = 1;
    return NULL;
}

static deferred *deferred_new(pending_request *r, const buf *json) {
    deferred *d = malloc(sizeof *d + json->len);
    if (!d) return NULL;
    d->next = NULL;
    d->request = r;
    d->len = json->len;
    memcpy(d->json, json->bytes, json->len);
    return d;
}

static void answer_locally(transport *t, client *c, const buf *b) {
    pthread_mutex_lock(&t->lock);
    if (buf_ok(b)) transport_enqueue_local(t, c, b->bytes, b->len);
    pthread_mutex_unlock(&t->lock);
}

void transport_handle_line(transport *t, client *c, const uint8_t *bytes, size_t len) {
    client_request request;
    refusal why;
    if (!protocol_parse(bytes, len, &request, &why)) {
        refuse_line(t, c, &why);
        return;
    }
    if (!request.route) {
        buf b;
        buf_init(&b);
        render_pong(&b, request.request_id);
        answer_locally(t, c, &b);
        buf_free(&b);
        return;
    }
    pending_request *r = buf_ok(&request.host_request) ? pending_new(t, c->id, &request) : NULL;
    deferred *wait = r && is_chat(r) ? deferred_new(r, &request.host_request) : NULL;
    int queued;
    pthread_mutex_lock(&t->lock);
    const busy *refused = admit(t, c, r, wait, &queued);
    pthread_mutex_unlock(&t->lock);
    if (!queued) free(wait);
    if (refused) {
        why.code = refused->code;
        why.in_reply_to = route_type(request.route);
        why.request_id = request.request_id;
        snprintf(why.message, sizeof why.message, "%s", refused->message);
        refuse_line(t, c, &why);
        free(r);
    } else if (!queued) {
        send_to_host(t, r, request.host_request.bytes, request.host_request.len);
    }
    buf_free(&request.host_request);
}
