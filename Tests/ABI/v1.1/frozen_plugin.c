/*
 * A plugin built against the frozen ABI 1.1 header alone. Never edit it: it
 * stands for every plugin already compiled against 1.1, which must keep
 * loading in any 1.x host from 1.1 on.
 *
 * As a store it answers "echo" (the request itself) and "ask_host" (the
 * host's reply to {"op":"ping"}, round-tripped through host->request), and
 * through "orch.store.diagnostics/1" (new in 1.1) "row_counts" with fixed
 * counts. As a transport it counts the events delivered to it ("delivered").
 */
#include "orch_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct frozen {
    const orch_host *host;
    unsigned long delivered;
} frozen;

static orch_bytes text(const char *s) {
    orch_bytes b = { (const uint8_t *)s, strlen(s) };
    return b;
}

static int has(orch_bytes json, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= json.len; i++)
        if (memcmp(json.ptr + i, needle, n) == 0) return 1;
    return 0;
}

static orch_status create(const orch_host *host, orch_bytes config, orch_instance **out, char *error, size_t cap) {
    (void)config;
    frozen *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, cap, "frozen-plugin: out of memory");
        return ORCH_ERR_INTERNAL;
    }
    self->host = host;
    *out = (orch_instance *)self;
    return ORCH_OK;
}

static void destroy(orch_instance *instance) { free(instance); }

typedef struct relay { orch_completion original; } relay;

static void relay_reply(void *ctx, orch_status status, orch_bytes body) {
    relay *r = ctx;
    r->original.fn(r->original.ctx, status, body);
    free(r);
}

static void request(orch_instance *instance, orch_bytes json, orch_completion completion) {
    frozen *self = (frozen *)instance;
    if (has(json, "\"op\":\"echo\"")) {
        completion.fn(completion.ctx, ORCH_OK, json);
    } else if (has(json, "\"op\":\"ask_host\"")) {
        relay *r = malloc(sizeof *r);
        r->original = completion;
        orch_completion next = { r, relay_reply };
        self->host->request(self->host, text("{\"op\":\"ping\"}"), next);
    } else if (has(json, "\"op\":\"delivered\"")) {
        char body[64];
        snprintf(body, sizeof body, "{\"delivered\":%lu}", self->delivered);
        completion.fn(completion.ctx, ORCH_OK, text(body));
    } else {
        completion.fn(completion.ctx, ORCH_ERR_UNSUPPORTED,
                      text("{\"code\":\"unknown_op\",\"message\":\"frozen-plugin knows echo, ask_host and delivered\",\"retryable\":false}"));
    }
}

static void start(orch_instance *instance, orch_completion completion) {
    (void)instance;
    completion.fn(completion.ctx, ORCH_OK, text("{\"listening\":\"frozen:nowhere\"}"));
}

static void stop(orch_instance *instance, orch_completion completion) {
    (void)instance;
    completion.fn(completion.ctx, ORCH_OK, text("{}"));
}

static void deliver(orch_instance *instance, const orch_event *event) {
    if (event->kind == ORCH_EVENT_WIRE) ((frozen *)instance)->delivered++;
}

static void diagnostics(orch_instance *instance, orch_bytes json, orch_completion completion) {
    (void)instance;
    if (has(json, "\"op\":\"row_counts\"")) {
        completion.fn(completion.ctx, ORCH_OK, text("{\"tables\":{\"frozen\":11}}"));
    } else {
        completion.fn(completion.ctx, ORCH_ERR_UNSUPPORTED,
                      text("{\"code\":\"unknown_op\",\"message\":\"frozen-plugin 1.1 diagnostics know row_counts\",\"retryable\":false}"));
    }
}

static const orch_store_v1 store_table = { sizeof(orch_store_v1), create, destroy, request };
static const orch_store_diagnostics_v1 diagnostics_table = { sizeof(orch_store_diagnostics_v1), diagnostics };
static const orch_transport_v1 transport_table = { sizeof(orch_transport_v1), create, destroy, request, start, stop, deliver };

static const void *get_interface(const char *iid) {
    if (strcmp(iid, ORCH_IID_STORE_V1) == 0) return &store_table;
    if (strcmp(iid, ORCH_IID_TRANSPORT_V1) == 0) return &transport_table;
    if (strcmp(iid, ORCH_IID_STORE_DIAGNOSTICS_V1) == 0) return &diagnostics_table;
    return NULL;
}

static const orch_plugin_descriptor descriptor = {
    sizeof(orch_plugin_descriptor), ORCH_ABI_MAJOR, ORCH_ABI_MINOR, ORCH_KIND_STORE | ORCH_KIND_TRANSPORT,
    "FrozenPlugin11", "1.1.0", "Built against the frozen ABI 1.1 header (tests)", "c", get_interface,
};

ORCH_EXPORT const orch_plugin_descriptor *orch_plugin_entry_v1(uint32_t major, uint32_t minor) {
    (void)major;
    (void)minor;
    return &descriptor;
}
