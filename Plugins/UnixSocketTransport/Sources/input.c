/*
 * A client's bytes become lines: split at newlines, a line over max_line_bytes
 * refused once and skipped up to its newline, each complete line handed to
 * requests.c, and the client's clock told whether a line ended or is still
 * half there (timeouts.h). IO thread only.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "transport.h"
#include "protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int blank(const uint8_t *bytes, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') return 0;
    return 1;
}

static void line_complete(transport *t, client *c, const uint8_t *bytes, size_t len) {
    if (len > 0 && bytes[len - 1] == '\r') len--;
    if (!blank(bytes, len)) transport_handle_line(t, c, bytes, len);
}

static void too_long(transport *t, client *c) {
    char message[200];
    snprintf(message, sizeof message, "the line is longer than %zu bytes (max_line_bytes), so it was discarded; send shorter lines",
             t->opts.max_line_bytes);
    buf b;
    buf_init(&b);
    json_span none = { NULL, 0, JSON_NULL };
    render_error(&b, "line_too_long", (const uint8_t *)message, strlen(message), NULL, none);
    pthread_mutex_lock(&t->lock);
    if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
    pthread_mutex_unlock(&t->lock);
    buf_free(&b);
}

static int append_input(client *c, const uint8_t *bytes, size_t len) {
    if (c->in_len + len > c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap : 1024;
        while (cap < c->in_len + len) cap *= 2;
        uint8_t *grown = realloc(c->in, cap);
        if (!grown) return 0;
        c->in = grown;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, bytes, len);
    c->in_len += len;
    return 1;
}

/* Past this, the buffer of a long line is given back once the line is done,
 * so one big message does not pin its size for the rest of the connection. */
#define KEEP_INPUT_CAP 65536

static void line_done(client *c) {
    c->in_len = 0;
    if (c->in_cap > KEEP_INPUT_CAP) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* Splits what arrived into lines; a line over max_line_bytes is refused and
 * skipped up to its newline. Returns whether any line ended. */
static int take_bytes(transport *t, client *c, const uint8_t *bytes, size_t len) {
    size_t limit = t->opts.max_line_bytes;
    int ended = 0;
    while (len > 0) {
        const uint8_t *newline = memchr(bytes, '\n', len);
        size_t segment = newline ? (size_t)(newline - bytes) : len;
        size_t consumed = newline ? segment + 1 : len;
        if (c->discarding) {
            if (newline) c->discarding = 0;
        } else if (c->in_len + segment > limit) {
            too_long(t, c);
            line_done(c);
            c->discarding = newline == NULL;
        } else if (newline && c->in_len == 0) {
            line_complete(t, c, bytes, segment);
        } else if (!append_input(c, bytes, segment)) {
            too_long(t, c);
            line_done(c);
            c->discarding = newline == NULL;
        } else if (newline) {
            line_complete(t, c, c->in, c->in_len);
            line_done(c);
        }
        ended |= newline != NULL;
        bytes += consumed;
        len -= consumed;
    }
    return ended;
}

int client_read(transport *t, client *c, uint8_t *chunk) {
    ssize_t n = recv(c->fd, chunk, UST_READ_CHUNK, 0);
    if (n == 0) return 0;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    int ended = take_bytes(t, c, chunk, (size_t)n);
    clock_input(&c->clock, ended, c->in_len > 0 || c->discarding, monotonic_ms());
    return 1;
}
