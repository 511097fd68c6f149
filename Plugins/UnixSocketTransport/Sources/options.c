/* Reading the transport's options; see options.h. */
#include "options.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

typedef struct limit {
    const char *name;
    size_t *field;
    size_t min, max;
} limit;

static const char *const known = "path, max_line_bytes, client_queue_limit, client_queue_bytes, max_clients, handshake_timeout_s, line_timeout_s, stall_timeout_s";

static int read_path(json_span value, options *out, char *error, size_t cap) {
    if (value.type != JSON_STRING) {
        snprintf(error, cap, "UnixSocketTransport: option path must be a string (the socket file), e.g. path = \".orch/orch.sock\"");
        return 0;
    }
    char decoded[UST_MAX_PATH + 2];
    if (!json_decode_string(value, decoded, sizeof decoded) || strlen(decoded) > UST_MAX_PATH) {
        snprintf(error, cap, "UnixSocketTransport: option path is too long for a Unix socket (at most %d bytes) or holds a NUL; choose a shorter path",
                 UST_MAX_PATH);
        return 0;
    }
    if (decoded[0] == 0) {
        snprintf(error, cap, "UnixSocketTransport: option path is empty; give the socket file, e.g. path = \".orch/orch.sock\"");
        return 0;
    }
    memcpy(out->path, decoded, strlen(decoded) + 1);
    return 1;
}

static int read_limit(json_span value, const limit *l, char *error, size_t cap) {
    uint64_t number;
    if (!json_to_u64(value, &number) || number < l->min || number > l->max) {
        snprintf(error, cap, "UnixSocketTransport: option %s must be an integer from %zu to %zu, got %.*s",
                 l->name, l->min, l->max, (int)(value.len > 40 ? 40 : value.len), (const char *)value.ptr);
        return 0;
    }
    *l->field = (size_t)number;
    return 1;
}

int options_read(const uint8_t *config, size_t len, options *out, char *error, size_t cap) {
    memset(out, 0, sizeof *out);
    strcpy(out->path, ".orch/orch.sock");
    out->max_line_bytes = 262144;
    out->client_queue_limit = 8192;
    out->client_queue_bytes = 16u << 20;
    out->max_clients = 256;
    /* Why these defaults: docs/unix-socket-transport.md, "Idle, slow and stalled clients". */
    out->handshake_timeout_s = 10;
    out->line_timeout_s = 30;
    out->stall_timeout_s = 60;
    const limit limits[] = {
        { "max_line_bytes", &out->max_line_bytes, 64, 64u << 20 },
        { "client_queue_limit", &out->client_queue_limit, 16, 1u << 24 },
        { "client_queue_bytes", &out->client_queue_bytes, 65536, (size_t)1 << 34 },
        { "max_clients", &out->max_clients, 1, 65536 },
        { "handshake_timeout_s", &out->handshake_timeout_s, 1, 86400 },
        { "line_timeout_s", &out->line_timeout_s, 1, 86400 },
        { "stall_timeout_s", &out->stall_timeout_s, 1, 86400 },
    };
    if (len == 0) return 1;
    json_span root;
    json_error problem;
    if (!json_parse(config, len, 8, &root, &problem) || root.type != JSON_OBJECT) {
        snprintf(error, cap, "UnixSocketTransport: the options are not a JSON object (the host passed something else)");
        return 0;
    }
    json_iter it = json_iterate(root);
    json_span key, value;
    while (json_next_member(&it, &key, &value)) {
        if (json_string_equals(key, "path")) {
            if (!read_path(value, out, error, cap)) return 0;
            continue;
        }
        int matched = 0;
        for (size_t i = 0; i < sizeof limits / sizeof limits[0] && !matched; i++) {
            if (!json_string_equals(key, limits[i].name)) continue;
            if (!read_limit(value, &limits[i], error, cap)) return 0;
            matched = 1;
        }
        if (!matched) {
            snprintf(error, cap, "UnixSocketTransport: unknown option %.*s; the options are %s (see docs/writing-a-plugin.md)",
                     (int)(key.len > 60 ? 60 : key.len), (const char *)key.ptr, known);
            return 0;
        }
    }
    return 1;
}
