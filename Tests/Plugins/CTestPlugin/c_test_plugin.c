/*
 * A plugin in plain C, built against orch_plugin.h alone (the tests compile it
 * with `cc -shared`). It provides all three kinds so one file can exercise the
 * whole ABI: requests (inline and from its own thread), host requests, events
 * in both directions, and turns. Compile-time switches build the broken
 * variants the loader must refuse:
 *   ORCH_TEST_ABI_MAJOR / ORCH_TEST_ABI_MINOR  claim another ABI version
 *   ORCH_TEST_TOOLCHAIN                         claim a Swift toolchain
 *   ORCH_TEST_NO_ENTRY                          export no entry symbol
 *   ORCH_TEST_REFUSE                            refuse the host (entry returns NULL)
 * As a backend it answers "You said: <message>" word by word; a message
 * starting with "wait" is held open (see below), one starting with "tools"
 * first streams thinking, a tool use, its result and a retry; one starting
 * with "nested" first finalizes a block of a nested sub-agent's text; one
 * starting with "permission" asks the host (request_permission) before its
 * "tool" and says how it was answered.
 */
#define _POSIX_C_SOURCE 200809L
#include "orch_plugin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ORCH_TEST_ABI_MAJOR
#define ORCH_TEST_ABI_MAJOR ORCH_ABI_MAJOR
#endif
#ifndef ORCH_TEST_ABI_MINOR
#define ORCH_TEST_ABI_MINOR ORCH_ABI_MINOR
#endif
#ifndef ORCH_TEST_TOOLCHAIN
#define ORCH_TEST_TOOLCHAIN "c"
#endif
#ifndef ORCH_TEST_NAME
#define ORCH_TEST_NAME "CTestPlugin"
#endif

static orch_bytes bytes_of(const char *s) {
    orch_bytes b = { (const uint8_t *)s, strlen(s) };
    return b;
}

/* Copies the string value of "key" from a flat JSON object into out (no escapes). */
static int json_string(orch_bytes json, const char *key, char *out, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    size_t plen = strlen(pattern);
    for (size_t i = 0; i + plen <= json.len; i++) {
        if (memcmp(json.ptr + i, pattern, plen) != 0) continue;
        size_t j = i + plen;
        while (j < json.len && (json.ptr[j] == ' ' || json.ptr[j] == ':')) j++;
        if (j >= json.len || json.ptr[j] != '"') return 0;
        j++;
        size_t n = 0;
        while (j < json.len && json.ptr[j] != '"' && n + 1 < cap) out[n++] = (char)json.ptr[j++];
        out[n] = 0;
        return 1;
    }
    return 0;
}

static int contains(orch_bytes haystack, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= haystack.len; i++)
        if (memcmp(haystack.ptr + i, needle, n) == 0) return 1;
    return 0;
}

/* ---- a worker thread, so completions can come from another thread ---- */

typedef struct job {
    struct job *next;
    int is_event;
    orch_completion completion;
    orch_event event;
    char *copy;          /* owned copy of the request body or the event text */
    size_t copy_len;
} job;

typedef struct instance {
    const orch_host *host;
    /* A turn held open by a message starting with "wait", until "release" or "interrupt". */
    pthread_mutex_t held_lock;
    int holding;
    orch_event_sink held_sink;
    orch_completion held_completion;
    char held_turn[64];
    pthread_t worker;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job *head, *tail;
    int stopping;
} instance;

static void *worker_main(void *arg) {
    instance *self = arg;
    for (;;) {
        pthread_mutex_lock(&self->lock);
        while (!self->head && !self->stopping) pthread_cond_wait(&self->wake, &self->lock);
        job *j = self->head;
        if (j) { self->head = j->next; if (!self->head) self->tail = NULL; }
        pthread_mutex_unlock(&self->lock);
        if (!j) return NULL;
        orch_bytes body = { (const uint8_t *)j->copy, j->copy_len };
        if (j->is_event) {
            j->event.text = body;
            self->host->publish(self->host, &j->event);
        } else {
            j->completion.fn(j->completion.ctx, ORCH_OK, body);
        }
        free(j->copy);
        free(j);
    }
}

static void enqueue(instance *self, job *j) {
    pthread_mutex_lock(&self->lock);
    if (self->tail) self->tail->next = j; else self->head = j;
    self->tail = j;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
}

static job *job_copying(orch_bytes body) {
    job *j = calloc(1, sizeof *j);
    j->copy = malloc(body.len ? body.len : 1);
    if (body.len) memcpy(j->copy, body.ptr, body.len);
    j->copy_len = body.len;
    return j;
}

/* ---- lifecycle ---- */

static orch_status create(const orch_host *host, orch_bytes config, orch_instance **out, char *error, size_t cap) {
    char reason[256];
    if (json_string(config, "fail", reason, sizeof reason)) {
        snprintf(error, cap, "c-test-plugin: asked to fail: %s", reason);
        return ORCH_ERR_INVALID;
    }
    instance *self = calloc(1, sizeof *self);
    self->host = host;
    pthread_mutex_init(&self->lock, NULL);
    pthread_mutex_init(&self->held_lock, NULL);
    pthread_cond_init(&self->wake, NULL);
    pthread_create(&self->worker, NULL, worker_main, self);
    *out = (orch_instance *)self;
    host->log(host, ORCH_LOG_INFO, bytes_of("c-test-plugin created"));
    return ORCH_OK;
}

static void destroy(orch_instance *inst) {
    instance *self = (instance *)inst;
    pthread_mutex_lock(&self->lock);
    self->stopping = 1;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->worker, NULL);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->held_lock);
    pthread_cond_destroy(&self->wake);
    free(self);
}

/* ---- requests ---- */

typedef struct forward { orch_completion original; } forward;

static void forward_reply(void *ctx, orch_status status, orch_bytes body) {
    forward *f = ctx;
    f->original.fn(f->original.ctx, status, body);
    free(f);
}

static void request(orch_instance *inst, orch_bytes json, orch_completion completion) {
    instance *self = (instance *)inst;
    char op[64] = "";
    json_string(json, "op", op, sizeof op);
    if (strcmp(op, "echo") == 0) {
        completion.fn(completion.ctx, ORCH_OK, json);               /* inline: before we return */
    } else if (strcmp(op, "echo_async") == 0) {
        job *j = job_copying(json);
        j->completion = completion;
        enqueue(self, j);                                          /* from the worker thread */
    } else if (strcmp(op, "ask_host") == 0) {
        forward *f = malloc(sizeof *f);
        f->original = completion;
        orch_completion next = { f, forward_reply };
        self->host->request(self->host, bytes_of("{\"op\":\"ping\"}"), next);
    } else if (strcmp(op, "release") == 0 || strcmp(op, "interrupt") == 0) {
        pthread_mutex_lock(&self->held_lock);
        int held = self->holding;
        self->holding = 0;
        pthread_mutex_unlock(&self->held_lock);
        if (held && strcmp(op, "release") == 0) {
            orch_event e;
            memset(&e, 0, sizeof e);
            e.struct_size = sizeof e;
            e.kind = ORCH_EVENT_BLOCK_FINAL;
            e.turn_id = bytes_of(self->held_turn);
            e.text = bytes_of("partial done");
            e.json = bytes_of("{\"index\":0,\"kind\":\"text\"}");
            self->held_sink.emit(self->held_sink.ctx, &e);
            self->held_completion.fn(self->held_completion.ctx, ORCH_OK,
                bytes_of("{\"session_id\":\"c-session\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4},\"cost_usd\":0.0001}"));
        } else if (held) {
            self->held_completion.fn(self->held_completion.ctx, ORCH_ERR_CANCELLED,
                bytes_of("{\"code\":\"interrupted\",\"message\":\"the turn was interrupted\",\"retryable\":false}"));
        }
        completion.fn(completion.ctx, ORCH_OK, bytes_of(held ? "{\"held\":true}" : "{\"held\":false}"));
    } else if (strcmp(op, "status") == 0) {
        completion.fn(completion.ctx, ORCH_OK, bytes_of("{\"ready\":true}"));
    } else if (strcmp(op, "config") == 0) {
        completion.fn(completion.ctx, ORCH_OK, self->host->config(self->host));
    } else {
        char body[256];
        snprintf(body, sizeof body, "{\"code\":\"unknown_op\",\"message\":\"c-test-plugin has no op \\\"%s\\\"\",\"retryable\":false}", op);
        completion.fn(completion.ctx, ORCH_ERR_UNSUPPORTED, bytes_of(body));
    }
}

/* ---- backend ---- */

/* A turn waiting for the host's answer to its permission question. */
typedef struct asking {
    orch_event_sink sink;
    orch_completion completion;
    char turn_id[64];
} asking;

static void permission_answered(void *ctx, orch_status status, orch_bytes body) {
    asking *a = ctx;
    int allowed = status == ORCH_OK && contains(body, "\"behavior\":\"allow\"");
    orch_event e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.turn_id = bytes_of(a->turn_id);
    e.kind = ORCH_EVENT_BLOCK_FINAL;
    e.text = bytes_of(allowed ? "The tool was allowed." : "The tool was denied.");
    e.json = bytes_of("{\"index\":0,\"kind\":\"text\"}");
    a->sink.emit(a->sink.ctx, &e);
    a->completion.fn(a->completion.ctx, ORCH_OK,
                     bytes_of("{\"session_id\":\"c-session\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4},\"cost_usd\":0.0001}"));
    free(a);
}

static void start_turn(orch_instance *inst, orch_bytes turn, orch_event_sink sink, orch_completion completion) {
    instance *self = (instance *)inst;
    char turn_id[64] = "", message[512] = "";
    json_string(turn, "turn_id", turn_id, sizeof turn_id);
    json_string(turn, "message", message, sizeof message);
    if (strncmp(message, "wait", 4) == 0) {
        orch_event e;
        memset(&e, 0, sizeof e);
        e.struct_size = sizeof e;
        e.kind = ORCH_EVENT_TEXT_DELTA;
        e.turn_id = bytes_of(turn_id);
        e.text = bytes_of("partial ");
        sink.emit(sink.ctx, &e);
        pthread_mutex_lock(&self->held_lock);
        self->holding = 1;
        self->held_sink = sink;
        self->held_completion = completion;
        snprintf(self->held_turn, sizeof self->held_turn, "%s", turn_id);
        pthread_mutex_unlock(&self->held_lock);
        return;
    }
    if (strncmp(message, "permission", 10) == 0) {
        char session[128] = "", body[512];
        json_string(turn, "session_id", session, sizeof session);
        snprintf(body, sizeof body,
                 "{\"op\":\"request_permission\",\"session_id\":\"%s\",\"request_id\":\"c-perm-%s\",\"tool_name\":\"Bash\","
                 "\"input\":{\"command\":\"touch c-test\"},\"turn_id\":\"%s\"}", session, turn_id, turn_id);
        asking *a = calloc(1, sizeof *a);
        a->sink = sink;
        a->completion = completion;
        snprintf(a->turn_id, sizeof a->turn_id, "%s", turn_id);
        orch_completion answered = { a, permission_answered };
        self->host->request(self->host, bytes_of(body), answered);
        return;
    }
    if (strncmp(message, "tools", 5) == 0) {
        /* Every kind of backend event once, so tests see every wire message type. */
        orch_event t;
        memset(&t, 0, sizeof t);
        t.struct_size = sizeof t;
        t.turn_id = bytes_of(turn_id);
        t.kind = ORCH_EVENT_THINKING_DELTA;
        t.message_id = bytes_of("think-0");
        t.text = bytes_of("Let me look.");
        sink.emit(sink.ctx, &t);
        t.kind = ORCH_EVENT_BLOCK_FINAL;
        t.json = bytes_of("{\"index\":0,\"kind\":\"thinking\"}");
        sink.emit(sink.ctx, &t);
        t.message_id = bytes_of("");
        t.text = bytes_of("");
        t.kind = ORCH_EVENT_TOOL_USE;
        t.json = bytes_of("{\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"ls -la\"}}");
        sink.emit(sink.ctx, &t);
        t.kind = ORCH_EVENT_TOOL_RESULT;
        t.json = bytes_of("{\"tool_use_id\":\"toolu_1\",\"content\":\"README.md\",\"is_error\":false}");
        sink.emit(sink.ctx, &t);
        t.kind = ORCH_EVENT_RETRY;
        t.json = bytes_of("{\"attempt\":1,\"max_retries\":3,\"delay_ms\":10,\"error\":\"overloaded\"}");
        sink.emit(sink.ctx, &t);
    }
    if (strncmp(message, "nested", 6) == 0) {
        /* Text of a sub-agent of the model's own (a background Task): not the reply. */
        orch_event n;
        memset(&n, 0, sizeof n);
        n.struct_size = sizeof n;
        n.turn_id = bytes_of(turn_id);
        n.kind = ORCH_EVENT_BLOCK_FINAL;
        n.message_id = bytes_of("nested-0");
        n.text = bytes_of("the sub-agent's own words");
        n.json = bytes_of("{\"index\":0,\"kind\":\"text\",\"parent_tool_use_id\":\"toolu_task\"}");
        sink.emit(sink.ctx, &n);
    }
    const char *words[] = { "You", " said", ": ", message };
    orch_event e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.turn_id = bytes_of(turn_id);
    for (size_t i = 0; i < 4; i++) {
        e.kind = ORCH_EVENT_TEXT_DELTA;
        e.text = bytes_of(words[i]);
        sink.emit(sink.ctx, &e);
    }
    char final_text[600];
    snprintf(final_text, sizeof final_text, "You said: %s", message);
    e.kind = ORCH_EVENT_BLOCK_FINAL;
    e.text = bytes_of(final_text);
    e.json = bytes_of("{\"index\":0,\"kind\":\"text\"}");
    sink.emit(sink.ctx, &e);
    completion.fn(completion.ctx, ORCH_OK,
                  bytes_of("{\"session_id\":\"c-session\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4},\"cost_usd\":0.0001}"));
}

/* ---- transport ---- */

static void start(orch_instance *inst, orch_completion completion) {
    (void)inst;
    completion.fn(completion.ctx, ORCH_OK, bytes_of("{\"listening\":\"c-test:nowhere\"}"));
}

static void stop(orch_instance *inst, orch_completion completion) {
    (void)inst;
    completion.fn(completion.ctx, ORCH_OK, bytes_of("{}"));
}

/* A "bounce" event comes straight back through host->publish: inline for
 * "bounce", from the worker thread for "bounce_async". Wire events whose type
 * is c_test_ping are answered with a c_test_pong wire event. */
static void deliver(orch_instance *inst, const orch_event *event) {
    instance *self = (instance *)inst;
    if (event->kind == ORCH_EVENT_CUSTOM && event->text.len == 6 && memcmp(event->text.ptr, "bounce", 6) == 0) {
        self->host->publish(self->host, event);
    } else if (event->kind == ORCH_EVENT_CUSTOM) {
        job *j = job_copying(event->text);
        j->is_event = 1;
        /* Only the text is copied: every other field is borrowed and dies when deliver returns. */
        j->event.struct_size = sizeof j->event;
        j->event.kind = ORCH_EVENT_CUSTOM;
        enqueue(self, j);
    } else if (contains(event->json, "\"type\":\"c_test_ping\"")) {
        char reply[128];
        snprintf(reply, sizeof reply, "{\"type\":\"c_test_pong\",\"ping_seq\":%llu}", (unsigned long long)event->seq);
        orch_event pong;
        memset(&pong, 0, sizeof pong);
        pong.struct_size = sizeof pong;
        pong.kind = ORCH_EVENT_CUSTOM;
        pong.orchestrator_id = event->orchestrator_id;
        pong.json = bytes_of(reply);
        self->host->publish(self->host, &pong);
    }
}

/* ---- tables and entry ---- */

static const orch_store_v1 store_table = { sizeof(orch_store_v1), create, destroy, request };
static const orch_backend_v1 backend_table = { sizeof(orch_backend_v1), create, destroy, request, start_turn };
static const orch_transport_v1 transport_table = { sizeof(orch_transport_v1), create, destroy, request, start, stop, deliver };

static const void *get_interface(const char *iid) {
    if (strcmp(iid, ORCH_IID_STORE_V1) == 0) return &store_table;
    if (strcmp(iid, ORCH_IID_BACKEND_V1) == 0) return &backend_table;
    if (strcmp(iid, ORCH_IID_TRANSPORT_V1) == 0) return &transport_table;
    return NULL;
}

static const orch_plugin_descriptor descriptor = {
    sizeof(orch_plugin_descriptor), ORCH_TEST_ABI_MAJOR, ORCH_TEST_ABI_MINOR,
    ORCH_KIND_STORE | ORCH_KIND_BACKEND | ORCH_KIND_TRANSPORT,
    ORCH_TEST_NAME, "1.0.0", "A plain-C plugin that exercises the whole ABI in tests", ORCH_TEST_TOOLCHAIN,
    get_interface,
};

#ifdef ORCH_TEST_NO_ENTRY
ORCH_EXPORT const orch_plugin_descriptor *not_the_entry_point(uint32_t major, uint32_t minor) {
#else
ORCH_EXPORT const orch_plugin_descriptor *orch_plugin_entry_v1(uint32_t major, uint32_t minor) {
#endif
    (void)major; (void)minor;
#ifdef ORCH_TEST_REFUSE
    (void)descriptor;
    return NULL;
#else
    return &descriptor;
#endif
}
