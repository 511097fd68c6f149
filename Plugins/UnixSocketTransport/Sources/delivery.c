/*
 * What each client is sent: its queue of lines, the run of host events it
 * already has, and the limits past which it is dropped. Every function here
 * is called with the transport's lock held.
 */
#include "transport.h"

int client_has_seq(const client *c, uint64_t seq) {
    return c->run_high != 0 && seq >= c->run_low && seq <= c->run_high;
}

static void run_extend(client *c, uint64_t seq) {
    if (c->run_high == 0) c->run_low = seq;
    if (seq > c->run_high) c->run_high = seq;
}

/* Whether the client's queues hold at least limit_lines lines or limit_bytes
 * bytes. Checked before a line is added, so a queue never holds more than its
 * bound plus one line. */
static int holds_at_least(const client *c, size_t limit_lines, size_t limit_bytes) {
    size_t lines = c->out.count + c->held.count, bytes = c->out.bytes + c->held.bytes;
    return lines >= limit_lines || bytes >= limit_bytes;
}

static int over_limit(const transport *t, const client *c) {
    return holds_at_least(c, t->opts.client_queue_limit, t->opts.client_queue_bytes);
}

int client_output_high(const transport *t, const client *c) {
    return holds_at_least(c, t->opts.client_queue_limit / 2, t->opts.client_queue_bytes / 2);
}

void client_mark_overflowed(transport *t, client *c) {
    c->overflowed = 1;
    transport_wake(t);
}

/* Queues a shared line for a client, unless it would fall too far behind.
 * Replies count as much as events: a client that asks and never reads is as
 * far behind as one that never reads its events. */
void client_enqueue(transport *t, client *c, line *l, int is_event) {
    if (c->closing || c->overflowed) return;
    if (over_limit(t, c)) {
        client_mark_overflowed(t, c);
        return;
    }
    line_queue *q = is_event && c->resuming ? &c->held : &c->out;
    if (!queue_push(q, l)) {
        client_mark_overflowed(t, c);
        return;
    }
    if (is_event && !c->resuming) run_extend(c, l->seq);
    transport_wake(t);
}

void transport_enqueue_local(transport *t, client *c, const uint8_t *bytes, size_t len) {
    line *l = line_new(bytes, len, 0);
    if (!l) {
        client_mark_overflowed(t, c);
        return;
    }
    client_enqueue(t, c, l, 0);
    line_release(l);
}

client *transport_find_client(transport *t, uint64_t id) {
    for (client *c = t->clients; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

