/* Lines and per-client queues; see line_queue.h. */
#include "line_queue.h"

#include <stdlib.h>
#include <string.h>

line *line_new(const uint8_t *bytes, size_t len, uint64_t seq) {
    line *l = malloc(sizeof *l + len + 1);
    if (!l) return NULL;
    l->refs = 1;
    l->seq = seq;
    l->len = len + 1;
    if (len) memcpy(l->bytes, bytes, len);
    l->bytes[len] = '\n';
    return l;
}

void line_release(line *l) {
    if (l && --l->refs == 0) free(l);
}

static int grow(line_queue *q) {
    size_t cap = q->cap ? q->cap * 2 : 16;
    line **slots = malloc(cap * sizeof *slots);
    if (!slots) return 0;
    for (size_t i = 0; i < q->count; i++) slots[i] = q->slots[(q->head + i) % q->cap];
    free(q->slots);
    q->slots = slots;
    q->cap = cap;
    q->head = 0;
    return 1;
}

int queue_push(line_queue *q, line *l) {
    if (q->count == q->cap && !grow(q)) return 0;
    q->slots[(q->head + q->count) % q->cap] = l;
    q->count++;
    q->bytes += l->len;
    l->refs++;
    return 1;
}

line *queue_at(const line_queue *q, size_t i) {
    return i < q->count ? q->slots[(q->head + i) % q->cap] : NULL;
}

void queue_pop(line_queue *q) {
    if (q->count == 0) return;
    line *l = q->slots[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    q->bytes -= l->len;
    line_release(l);
}

void queue_clear(line_queue *q, int keep_head) {
    size_t keep = keep_head && q->count ? 1 : 0;
    while (q->count > keep) {
        size_t last = (q->head + q->count - 1) % q->cap;
        q->bytes -= q->slots[last]->len;
        line_release(q->slots[last]);
        q->count--;
    }
}

void queue_free(line_queue *q) {
    queue_clear(q, 0);
    free(q->slots);
    memset(q, 0, sizeof *q);
}
