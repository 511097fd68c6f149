/*
 * line_queue.h — lines on their way to a client.
 *
 * A line is written once and shared by every client queue it is in, counted by
 * `refs`. Lines and queues are only touched under the transport's lock; only
 * the IO thread removes lines from a queue, so the line at the head stays
 * valid while the IO thread writes it without the lock.
 */
#ifndef UST_LINE_QUEUE_H
#define UST_LINE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct line {
    size_t refs;
    uint64_t seq;        /* the host's seq for a wire event; 0 for the transport's own replies */
    size_t len;          /* including the final '\n' */
    uint8_t bytes[];
} line;

/* A copy of bytes plus '\n', with one reference; NULL when out of memory. */
line *line_new(const uint8_t *bytes, size_t len, uint64_t seq);
void line_release(line *l);

typedef struct line_queue {
    line **slots;
    size_t head, count, cap;
    size_t bytes;        /* the sum of the queued lines' lengths */
} line_queue;

/* Appends l, taking a new reference. Returns 0 when out of memory. */
int queue_push(line_queue *q, line *l);
/* The i-th line from the head, or NULL. */
line *queue_at(const line_queue *q, size_t i);
/* Removes the head, releasing it. */
void queue_pop(line_queue *q);
/* Removes every line, or every line but the head when keep_head is set. */
void queue_clear(line_queue *q, int keep_head);
/* Empties the queue and frees its storage. */
void queue_free(line_queue *q);

#endif
