/*
 * UnixSocketTransport — newline-delimited JSON over a Unix domain socket.
 *
 * A third party's transport, written in C11 against orch_plugin.h alone. This
 * file holds the ABI entry points and `deliver`; requests.c turns client lines
 * into host requests, delivery.c keeps each client's queue, io_loop.c owns the
 * sockets.
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

void transport_complete(orch_completion completion, orch_status status, const char *body) {
    orch_bytes bytes = { (const uint8_t *)body, strlen(body) };
    completion.fn(completion.ctx, status, bytes);
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
        transport_complete(completion, ORCH_ERR_CONFLICT, "{\"code\":\"already_started\",\"message\":\"UnixSocketTransport was already started\",\"retryable\":false}");
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
        transport_complete(completion, ORCH_ERR_INTERNAL, "{\"code\":\"thread_failed\",\"message\":\"UnixSocketTransport could not start its IO thread\",\"retryable\":false}");
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
        transport_complete(completion, ORCH_OK, "{}");
        return;
    }
    t->stopping = 1;
    t->stop_requested = 1;
    t->stop_completion = completion;
    transport_wake(t);
    orch_completion now = transport_take_stop(t);
    pthread_mutex_unlock(&t->lock);
    if (now.fn) transport_complete(now, ORCH_OK, "{}");
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

/* Control requests from the host: "status" reports clients and counters
 * (dropped_slow: closed for falling behind; closed_idle: closed by a timeout). */
static void request(orch_instance *instance, orch_bytes json, orch_completion completion) {
    transport *t = (transport *)instance;
    json_span object, op;
    if (!json_parse(json.ptr, json.len, 64, &object, NULL) || !json_get(object, "op", &op) || !json_string_equals(op, "status")) {
        transport_complete(completion, ORCH_ERR_UNSUPPORTED, "{\"code\":\"unknown_op\",\"message\":\"UnixSocketTransport serves only the op \\\"status\\\"\",\"retryable\":false}");
        return;
    }
    pthread_mutex_lock(&t->lock);
    size_t clients = t->client_count;
    uint64_t last_seq = t->last_seq, dropped = t->dropped_slow, idle = t->closed_idle;
    pthread_mutex_unlock(&t->lock);
    buf b;
    buf_init(&b);
    buf_append_str(&b, "{\"clients\":");
    buf_append_u64(&b, clients);
    buf_append_str(&b, ",\"last_seq\":");
    buf_append_u64(&b, last_seq);
    buf_append_str(&b, ",\"dropped_slow\":");
    buf_append_u64(&b, dropped);
    buf_append_str(&b, ",\"closed_idle\":");
    buf_append_u64(&b, idle);
    buf_append_str(&b, ",\"listening\":");
    buf_append_json_string(&b, (const uint8_t *)t->listening, strlen(t->listening));
    buf_append_str(&b, "}");
    orch_bytes body = { b.bytes, b.len };
    if (buf_ok(&b)) completion.fn(completion.ctx, ORCH_OK, body);
    else transport_complete(completion, ORCH_ERR_INTERNAL, "{\"code\":\"out_of_memory\",\"message\":\"out of memory\",\"retryable\":true}");
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
            if (c->closing || c->overflowed || client_has_seq(c, event->seq)) continue;
            if (!shared && !(shared = line_new(event->json.ptr, event->json.len, event->seq))) {
                client_mark_overflowed(t, c);
                continue;
            }
            client_enqueue(t, c, shared, 1);
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
