/* Idle, slow and stalled clients' deadlines; see timeouts.h. */
#include "timeouts.h"

#include <stdio.h>

void clock_connected(client_clock *c, int64_t now_ms) {
    *c = (client_clock){ .connected_ms = now_ms, .progress_ms = now_ms };
}

void clock_input(client_clock *c, int completed_line, int partial_left, int64_t now_ms) {
    if (completed_line) c->spoke = 1;
    /* A line's clock starts with its first byte: a line finished in this read
     * and a new one begun restarts it. */
    if (partial_left && (!c->partial || completed_line)) c->partial_since_ms = now_ms;
    c->partial = partial_left;
}

void clock_reading(client_clock *c, int paused, int64_t now_ms) {
    if (c->reading_paused && !paused) c->connected_ms = c->partial_since_ms = now_ms;
    c->reading_paused = paused;
}

void clock_output(client_clock *c, int queued, int progressed, int64_t now_ms) {
    /* Waiting starts when output appears, not when the queue was last empty:
     * a client idle for hours is not "stalled" by the first event it is sent. */
    if (progressed || (queued && !c->output_queued)) c->progress_ms = now_ms;
    c->output_queued = queued;
}

static void consider(timeout_due *due, timeout_kind kind, int64_t at_ms) {
    if (due->kind == TIMEOUT_NONE || at_ms < due->at_ms) *due = (timeout_due){ kind, at_ms };
}

timeout_due timeout_next(const client_clock *c, const options *opts) {
    timeout_due due = { TIMEOUT_NONE, 0 };
    if (!c->spoke && !c->reading_paused) consider(&due, TIMEOUT_HANDSHAKE, c->connected_ms + (int64_t)opts->handshake_timeout_s * 1000);
    if (c->partial && !c->reading_paused) consider(&due, TIMEOUT_LINE, c->partial_since_ms + (int64_t)opts->line_timeout_s * 1000);
    if (c->output_queued) consider(&due, TIMEOUT_STALL, c->progress_ms + (int64_t)opts->stall_timeout_s * 1000);
    return due;
}

const char *timeout_code(timeout_kind kind) {
    switch (kind) {
    case TIMEOUT_HANDSHAKE: return "handshake_timeout";
    case TIMEOUT_LINE: return "line_timeout";
    case TIMEOUT_STALL: return "stall_timeout";
    default: return "internal";
    }
}

const char *timeout_headline(timeout_kind kind) {
    switch (kind) {
    case TIMEOUT_HANDSHAKE: return "sent no complete line in time";
    case TIMEOUT_LINE: return "left a line unfinished too long";
    case TIMEOUT_STALL: return "took none of its output in time";
    default: return "timed out";
    }
}

void timeout_message(timeout_kind kind, const options *opts, char *out, size_t cap) {
    switch (kind) {
    case TIMEOUT_HANDSHAKE:
        snprintf(out, cap, "no complete line within %zu s of connecting (handshake_timeout_s); send a request, e.g. {\"type\":\"ping\"}, right after connecting",
                 opts->handshake_timeout_s);
        break;
    case TIMEOUT_LINE:
        snprintf(out, cap, "a line was begun but not finished within %zu s (line_timeout_s); write each line whole, ending in \\n",
                 opts->line_timeout_s);
        break;
    case TIMEOUT_STALL:
        snprintf(out, cap, "read nothing of what was queued for you for %zu s (stall_timeout_s); reconnect and resume from your last seq",
                 opts->stall_timeout_s);
        break;
    default:
        snprintf(out, cap, "closed");
    }
}
