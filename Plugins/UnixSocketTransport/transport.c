/*
 * UnixSocketTransport — newline-delimited JSON over a Unix domain socket.
 *
 * A third party's transport, written in C11 against orch_plugin.h alone. This
 * file holds the ABI entry points, the fan-out of host events (deliver) and
 * the host's replies to client requests; io_loop.c owns the sockets.
 */
#define _POSIX_C_SOURCE 200809L
#include "transport.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static orch_bytes bytes_of(const char *s) {
    orch_bytes b = { (const uint8_t *)s, strlen(s) };
    return b;
}

static void complete(orch_completion completion, orch_status status, const char *body) {
    completion.fn(completion.ctx, status, bytes_of(body));
}

int64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void transport_log(transport *t, orch_log_level level, const char *format, ...) {
    char text[512];
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    if (n < 0) return;
    orch_bytes message = { (const uint8_t *)text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1 };
    t->host->log(t->host, level, message);
}

void transport_wake(transport *t) {
    if (t->wake_signalled || t->wake_pipe[1] < 0) return;
    t->wake_signalled = 1;
    uint8_t one = 1;
    /* Non-blocking: if the pipe is full, the IO thread is already awake. */
    if (write(t->wake_pipe[1], &one, 1) < 0 && errno != EAGAIN) t->wake_signalled = 0;
}

/* ---- what a client has been sent ---- */

static int run_contains(const client *c, uint64_t seq) {
    return c->run_high != 0 && seq >= c->run_low && seq <= c->run_high;
}

static void run_extend(client *c, uint64_t seq) {
    if (c->run_high == 0) c->run_low = seq;
    if (seq > c->run_high) c->run_high = seq;
}

static int over_limit(const transport *t, const client *c) {
    size_t lines = c->out.count + c->held.count, bytes = c->out.bytes + c->held.bytes;
    return lines >= t->opts.client_queue_limit || bytes >= t->opts.client_queue_bytes;
}

static void mark_overflowed(transport *t, client *c) {
    c->overflowed = 1;
    transport_wake(t);
}

/* Queues a shared line for a client, unless it would fall too far behind. */
static void enqueue(transport *t, client *c, line *l, int is_event) {
    if (c->closing || c->overflowed) return;
    if (is_event && over_limit(t, c)) {
        mark_overflowed(t, c);
        return;
    }
    line_queue *q = is_event && c->resuming ? &c->held : &c->out;
    if (!queue_push(q, l)) {
        mark_overflowed(t, c);
        return;
    }
    if (is_event && !c->resuming) run_extend(c, l->seq);
    transport_wake(t);
}

void transport_enqueue_local(transport *t, client *c, const uint8_t *bytes, size_t len) {
    line *l = line_new(bytes, len, 0);
    if (!l) {
        mark_overflowed(t, c);
        return;
    }
    enqueue(t, c, l, 0);
    line_release(l);
}

static client *find_client(transport *t, uint64_t id) {
    for (client *c = t->clients; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

/* ---- requests to the host ---- */

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

/* Writes the replayed events a client has not had, then "resumed"; then the
 * live events held meanwhile. Called with the lock held. */
static void answer_resume(transport *t, client *c, const pending_request *r, json_span reply) {
    buf b;
    buf_init(&b);
    json_span status, events, event, seq_span;
    if (json_get(reply, "status", &status) && json_string_equals(status, "reload")) {
        json_span host_last = { NULL, 0, JSON_NULL };
        json_get(reply, "last_seq", &host_last);
        render_reload_required(&b, r->orchestrator, host_last, r->request_id);
    } else {
        uint64_t replayed = 0, newest = c->run_high;
        if (json_get(reply, "events", &events) && events.type == JSON_ARRAY) {
            json_iter it = json_iterate(events);
            while (json_next_element(&it, &event)) {
                uint64_t seq;
                if (!json_get(event, "seq", &seq_span) || !json_to_u64(seq_span, &seq) || seq <= r->last_seq) continue;
                if (run_contains(c, seq)) continue;
                line *l = line_new(event.ptr, event.len, seq);
                if (!l || !queue_push(&c->out, l)) {
                    line_release(l);
                    mark_overflowed(t, c);
                    break;
                }
                line_release(l);
                replayed++;
                if (seq > newest) newest = seq;
            }
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
        if (!run_contains(c, l->seq)) enqueue(t, c, l, 1);
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
    client *c = find_client(t, r->client_id);
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
    if (stop.fn) complete(stop, ORCH_OK, "{}");
}

static void refuse_line(transport *t, client *c, const refusal *why) {
    buf b;
    buf_init(&b);
    render_error(&b, why->code, (const uint8_t *)why->message, strlen(why->message), why->in_reply_to, why->request_id);
    pthread_mutex_lock(&t->lock);
    if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
    pthread_mutex_unlock(&t->lock);
    buf_free(&b);
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
        pthread_mutex_lock(&t->lock);
        if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
        pthread_mutex_unlock(&t->lock);
        buf_free(&b);
        return;
    }
    why.in_reply_to = route_type(request.route);
    why.request_id = request.request_id;
    pending_request *r = buf_ok(&request.host_request) ? pending_new(t, c->id, &request) : NULL;
    deferred *wait = NULL;
    if (r && is_chat(r) && (wait = malloc(sizeof *wait + request.host_request.len))) {
        wait->next = NULL;
        wait->request = r;
        wait->len = request.host_request.len;
        memcpy(wait->json, request.host_request.bytes, wait->len);
    }
    pthread_mutex_lock(&t->lock);
    const char *busy = NULL;
    if (!r || (is_chat(r) && !wait)) busy = "out_of_memory";
    else if (c->inflight >= UST_MAX_INFLIGHT && strcmp(route_type(request.route), "interrupt") != 0) busy = "too_many_requests";
    else if (route_style(request.route) == REPLY_RESUME && c->resuming) busy = "resume_in_progress";
    int queued = 0;
    if (!busy) {
        c->inflight++;
        t->pending++;
        if (route_style(request.route) == REPLY_RESUME) c->resuming = 1;
        if (is_chat(r) && c->chat_in_flight) {
            if (c->chats_tail) c->chats_tail->next = wait;
            else c->chats = wait;
            c->chats_tail = wait;
            queued = 1;
        } else if (is_chat(r)) {
            c->chat_in_flight = 1;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (!queued) free(wait);
    if (busy) {
        why.code = busy;
        snprintf(why.message, sizeof why.message, "%s",
                 strcmp(busy, "too_many_requests") == 0 ? "16 requests are already running for this connection; wait for their replies"
                 : strcmp(busy, "resume_in_progress") == 0 ? "a resume is already running on this connection; wait for resumed"
                 : "the transport ran out of memory for this request; try again");
        refuse_line(t, c, &why);
        free(r);
        buf_free(&request.host_request);
        return;
    }
    if (!queued) send_to_host(t, r, request.host_request.bytes, request.host_request.len);
    buf_free(&request.host_request);
}

/* ---- the ABI ---- */

orch_completion transport_take_stop(transport *t) {
    orch_completion none = { NULL, NULL };
    if (!t->stop_requested || !t->io_finished || t->pending != 0) return none;
    t->stop_requested = 0;
    return t->stop_completion;
}

static void make_stream_id(transport *t) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(t->stream_id, sizeof t->stream_id, "%lld-%ld-%d", (long long)now.tv_sec, (long)(now.tv_nsec / 1000), (int)getpid());
}

static orch_status create(const orch_host *host, orch_bytes config, orch_instance **out, char *error, size_t error_cap) {
    options opts;
    if (!options_read(config.ptr, config.len, &opts, error, error_cap)) return ORCH_ERR_INVALID;
    transport *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(error, error_cap, "UnixSocketTransport: out of memory");
        return ORCH_ERR_INTERNAL;
    }
    t->host = host;
    t->opts = opts;
    t->listen_fd = -1;
    t->wake_pipe[0] = t->wake_pipe[1] = -1;
    t->next_client_id = 1;
    make_stream_id(t);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->idle, NULL);
    *out = (orch_instance *)t;
    return ORCH_OK;
}

static int make_wake_pipe(transport *t) {
    if (pipe(t->wake_pipe) != 0) return 0;
    for (int i = 0; i < 2; i++) {
        int flags = fcntl(t->wake_pipe[i], F_GETFL);
        fcntl(t->wake_pipe[i], F_SETFL, flags | O_NONBLOCK);
        fcntl(t->wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    return 1;
}

static void close_fds(transport *t) {
    for (int i = 0; i < 2; i++) {
        if (t->wake_pipe[i] >= 0) close(t->wake_pipe[i]);
        t->wake_pipe[i] = -1;
    }
}

static void start(orch_instance *instance, orch_completion completion) {
    transport *t = (transport *)instance;
    if (t->io_started) {
        complete(completion, ORCH_ERR_CONFLICT, "{\"code\":\"already_started\",\"message\":\"UnixSocketTransport was already started\",\"retryable\":false}");
        return;
    }
    char reason[400];
    int fd = socket_file_listen(t->opts.path, &t->file, reason, sizeof reason);
    if (fd < 0) {
        buf b;
        buf_init(&b);
        buf_append_str(&b, "{\"code\":\"listen_failed\",\"message\":");
        buf_append_json_string(&b, (const uint8_t *)reason, strlen(reason));
        buf_append_str(&b, ",\"retryable\":false}");
        orch_bytes body = { b.bytes, b.len };
        completion.fn(completion.ctx, ORCH_ERR_UNAVAILABLE, body);
        buf_free(&b);
        return;
    }
    if (t->file.replaced_stale) transport_log(t, ORCH_LOG_NOTICE, "replaced a stale socket file at %s (left by a run that did not stop cleanly)", t->opts.path);
    t->listen_fd = fd;
    if (!make_wake_pipe(t) || pthread_create(&t->io_thread, NULL, io_loop_run, t) != 0) {
        close(fd);
        t->listen_fd = -1;
        socket_file_remove(&t->file);
        close_fds(t);
        complete(completion, ORCH_ERR_INTERNAL, "{\"code\":\"thread_failed\",\"message\":\"UnixSocketTransport could not start its IO thread\",\"retryable\":false}");
        return;
    }
    t->io_started = 1;
    char cwd[4096];
    if (t->opts.path[0] != '/' && getcwd(cwd, sizeof cwd)) snprintf(t->listening, sizeof t->listening, "unix:%s/%s", cwd, t->opts.path);
    else snprintf(t->listening, sizeof t->listening, "unix:%s", t->opts.path);
    buf b;
    buf_init(&b);
    buf_append_str(&b, "{\"listening\":");
    buf_append_json_string(&b, (const uint8_t *)t->listening, strlen(t->listening));
    buf_append_str(&b, "}");
    orch_bytes body = { b.bytes, b.len };
    completion.fn(completion.ctx, ORCH_OK, body);
    buf_free(&b);
}

static void stop(orch_instance *instance, orch_completion completion) {
    transport *t = (transport *)instance;
    pthread_mutex_lock(&t->lock);
    if (!t->io_started || t->stopping) {
        pthread_mutex_unlock(&t->lock);
        complete(completion, ORCH_OK, "{}");
        return;
    }
    t->stopping = 1;
    t->stop_requested = 1;
    t->stop_completion = completion;
    transport_wake(t);
    orch_completion now = transport_take_stop(t);
    pthread_mutex_unlock(&t->lock);
    if (now.fn) complete(now, ORCH_OK, "{}");
}

static void destroy(orch_instance *instance) {
    transport *t = (transport *)instance;
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    transport_wake(t);
    pthread_mutex_unlock(&t->lock);
    if (t->io_started) pthread_join(t->io_thread, NULL);
    /* Host replies still on their way hold pointers to us: wait for them. */
    pthread_mutex_lock(&t->lock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    while (t->pending > 0 && pthread_cond_timedwait(&t->idle, &t->lock, &deadline) != ETIMEDOUT) {}
    size_t pending = t->pending;
    pthread_mutex_unlock(&t->lock);
    if (pending > 0) {
        transport_log(t, ORCH_LOG_ERROR, "%zu host requests still unanswered after 5 s; leaving the transport allocated rather than freeing it under them", pending);
        return;
    }
    close_fds(t);
    pthread_cond_destroy(&t->idle);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* Control requests from the host: "status" reports clients and counters. */
static void request(orch_instance *instance, orch_bytes json, orch_completion completion) {
    transport *t = (transport *)instance;
    json_span object, op;
    if (!json_parse(json.ptr, json.len, 64, &object, NULL) || !json_get(object, "op", &op) || !json_string_equals(op, "status")) {
        complete(completion, ORCH_ERR_UNSUPPORTED, "{\"code\":\"unknown_op\",\"message\":\"UnixSocketTransport serves only the op \\\"status\\\"\",\"retryable\":false}");
        return;
    }
    pthread_mutex_lock(&t->lock);
    size_t clients = t->client_count;
    uint64_t last_seq = t->last_seq, dropped = t->dropped_slow;
    pthread_mutex_unlock(&t->lock);
    buf b;
    buf_init(&b);
    buf_append_str(&b, "{\"clients\":");
    buf_append_u64(&b, clients);
    buf_append_str(&b, ",\"last_seq\":");
    buf_append_u64(&b, last_seq);
    buf_append_str(&b, ",\"dropped_slow\":");
    buf_append_u64(&b, dropped);
    buf_append_str(&b, ",\"listening\":");
    buf_append_json_string(&b, (const uint8_t *)t->listening, strlen(t->listening));
    buf_append_str(&b, "}");
    orch_bytes body = { b.bytes, b.len };
    if (buf_ok(&b)) completion.fn(completion.ctx, ORCH_OK, body);
    else complete(completion, ORCH_ERR_INTERNAL, "{\"code\":\"out_of_memory\",\"message\":\"out of memory\",\"retryable\":true}");
    buf_free(&b);
}

/* An event for every client: copied once, queued for each, never waited on. */
static void deliver(orch_instance *instance, const orch_event *event) {
    transport *t = (transport *)instance;
    if (event->kind != ORCH_EVENT_WIRE || event->json.len == 0) return;
    pthread_mutex_lock(&t->lock);
    if (!t->stopping) {
        if (event->seq > t->last_seq) t->last_seq = event->seq;
        line *shared = NULL;
        for (client *c = t->clients; c; c = c->next) {
            if (c->closing || c->overflowed || run_contains(c, event->seq)) continue;
            if (!shared && !(shared = line_new(event->json.ptr, event->json.len, event->seq))) {
                mark_overflowed(t, c);
                continue;
            }
            enqueue(t, c, shared, 1);
        }
        line_release(shared);
    }
    pthread_mutex_unlock(&t->lock);
}

static const orch_transport_v1 transport_table = {
    sizeof(orch_transport_v1), create, destroy, request, start, stop, deliver,
};

static const void *get_interface(const char *iid) {
    return strcmp(iid, ORCH_IID_TRANSPORT_V1) == 0 ? &transport_table : NULL;
}

static const orch_plugin_descriptor descriptor = {
    sizeof(orch_plugin_descriptor), ORCH_ABI_MAJOR, ORCH_ABI_MINOR, ORCH_KIND_TRANSPORT,
    "UnixSocketTransport", "1.0.0", "Newline-delimited JSON over a Unix domain socket (mode 0600), for terminals and scripts",
    "c", get_interface,
};

ORCH_EXPORT const orch_plugin_descriptor *orch_plugin_entry_v1(uint32_t host_abi_major, uint32_t host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == ORCH_ABI_MAJOR ? &descriptor : NULL;
}
