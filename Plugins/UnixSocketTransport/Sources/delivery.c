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

static int over_limit(const transport *t, const client *c) {
    size_t lines = c->out.count + c->held.count, bytes = c->out.bytes + c->held.bytes;
    return lines >= t->opts.client_queue_limit || bytes >= t->opts.client_queue_bytes;
}

void client_mark_overflowed(transport *t, client *c) {
    c->overflowed = 1;
    transport_wake(t);
}

/* Queues a shared line for a client, unless it would fall too far behind. */
void client_enqueue(transport *t, client *c, line *l, int is_event) {
    if (c->closing || c->overflowed) return;
    if (is_event && over_limit(t, c)) {
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

