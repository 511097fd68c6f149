/*
 * transport.h — the state shared by the transport's parts: the ABI entry
 * points and deliver (transport.c), client requests and host replies
 * (requests.c), per-client queues (delivery.c) and the IO thread (io_loop.c,
 * input.c: accept, read, write, close).
 *
 * Threads
 *   - The host calls start/stop/destroy from its main thread and deliver from
 *     its event bus; host replies complete from any thread, possibly inline.
 *   - One IO thread owns the sockets. It alone adds and removes clients and
 *     takes lines off their queues; everyone else only appends to queues.
 *   - `lock` guards the client list, the queues and the counters. It is never
 *     held across a system call that can wait, nor while calling the host, so
 *     deliver never waits for a client and a host reply may arrive inline.
 */
#ifndef UST_TRANSPORT_H
#define UST_TRANSPORT_H

#include "orch_plugin.h"
#include "line_queue.h"
#include "options.h"
#include "socket_file.h"
#include "timeouts.h"

#include <pthread.h>
#include <stdint.h>

/* Host requests one client may have outstanding; more are refused, not queued
 * (an interrupt is always accepted). */
#define UST_MAX_INFLIGHT 16

/* A host request waiting for its turn to be sent (see client.chats). */
typedef struct deferred {
    struct deferred *next;
    void *request;           /* the pending request: its completion context */
    size_t len;
    uint8_t json[];
} deferred;

typedef struct client {
    struct client *next;
    uint64_t id;
    int fd;
    line_queue out;          /* what to write, in order */
    size_t out_offset;       /* bytes of the head line already written */
    line_queue held;         /* live events held while a resume is answered */
    int resuming;
    uint64_t run_low, run_high;  /* the seqs already queued for this client (0 = none yet) */
    int overflowed;          /* fell too far behind: to be told why and closed */
    int closing;             /* no more reading; closed once `out` drains or at close_deadline_ms */
    int64_t close_deadline_ms;
    const char *close_code;  /* why it is closing: the error code it was sent */
    const char *close_headline;  /* ...in a few words for the log, e.g. "fell too far behind" */
    char close_why[256];     /* ...and the message, logged once by the IO thread (close_logged) */
    int close_logged;
    client_clock clock;      /* IO thread only: the idle and stall deadlines (timeouts.h) */
    int inflight;            /* host requests outstanding */
    /* Chat messages are sent to the host one at a time per client, so they are
     * accepted in the order the client wrote them. */
    int chat_in_flight;
    deferred *chats, *chats_tail;
    /* IO thread only: the partial line read so far. */
    uint8_t *in;
    size_t in_len, in_cap;
    int discarding;          /* skipping the rest of an over-long line */
} client;

typedef struct transport {
    const orch_host *host;
    options opts;
    char stream_id[40];

    pthread_mutex_t lock;
    pthread_cond_t idle;     /* signalled when `pending` drops to 0 */
    client *clients;
    size_t client_count;
    uint64_t next_client_id;
    uint64_t last_seq;       /* the newest seq delivered */
    uint64_t dropped_slow;   /* clients closed for falling behind */
    uint64_t closed_idle;    /* clients closed by a timeout (timeouts.h) */
    size_t pending;          /* host requests outstanding, across all clients */
    int wake_signalled;

    size_t released_bytes;   /* IO thread: client output freed since memory was last given back */

    int listen_fd;
    int64_t accept_paused_until_ms;  /* after accept failed for want of descriptors */
    int wake_pipe[2];
    socket_file file;
    char listening[4224];     /* "unix:" and the absolute path, for the launch summary */

    pthread_t io_thread;
    int io_started;
    int stopping;            /* stop or destroy was called: the IO thread winds down */
    int io_finished;         /* the IO thread has closed every socket */
    int stop_requested;      /* stop's completion is still owed */
    orch_completion stop_completion;
} transport;

/* ---- delivery.c (lock held) ---- */

/* Whether the client already has (or has queued) the event with this seq. */
int client_has_seq(const client *c, uint64_t seq);
/* Queues a line; a host event (`is_event`) is held during a resume. Any line
 * (event, reply, error, pong) is refused once the client is over its limits,
 * which marks it for dropping. */
void client_enqueue(transport *t, client *c, line *l, int is_event);
/* Whether the client's queued output is at its high-water mark (half of
 * client_queue_limit or client_queue_bytes): its requests are not read until
 * it has taken some, so a client that never reads cannot make the host
 * produce replies without end. */
int client_output_high(const transport *t, const client *c);
/* Marks a client to be dropped by the IO thread. */
void client_mark_overflowed(transport *t, client *c);
client *transport_find_client(transport *t, uint64_t id);

/* Completes with a static body. */
void transport_complete(orch_completion completion, orch_status status, const char *body);

/* The size of the buffer client_read reads into. */
#define UST_READ_CHUNK 65536

/* Reads once from a client into `chunk` (so one busy client cannot starve the
 * others) and handles the complete lines (input.c). Returns 0 when the client
 * has gone. IO thread only. */
int client_read(transport *t, client *c, uint8_t *chunk);

/* The IO thread's body (io_loop.c). */
void *io_loop_run(void *transport);

/* Wakes the IO thread. Called with the lock held. */
void transport_wake(transport *t);

/* Hands a client line to the host, or answers it locally (requests.c). Called
 * by the IO thread without the lock. */
void transport_handle_line(transport *t, client *c, const uint8_t *bytes, size_t len);

/* Queues a line the transport wrote itself for one client. Called with the lock held. */
void transport_enqueue_local(transport *t, client *c, const uint8_t *bytes, size_t len);

/* Forgets the chat messages a departing client still had waiting (requests.c).
 * Called with the lock held. */
void transport_drop_deferred(transport *t, client *c);

/* Completes stop if it is owed and nothing is outstanding. Called with the lock
 * held; returns the completion to call after unlocking (fn NULL when none). */
orch_completion transport_take_stop(transport *t);

/* Logs through the host (any thread, before destroy returns). */
void transport_log(transport *t, orch_log_level level, const char *format, ...) __attribute__((format(printf, 3, 4)));

int64_t monotonic_ms(void);

#endif
