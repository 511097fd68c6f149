/*
 * timeouts.h — when a connected client is closed for holding its socket
 * without using it. Pure bookkeeping on a client's clock (no sockets, no
 * locks), so the IO thread's poll timeout is simply the nearest deadline and
 * the rules can be unit-tested with made-up times.
 *
 * The rules (see docs/unix-socket-transport.md for why these three):
 *   handshake  no complete line within handshake_timeout_s of connecting
 *   line       a line begun but not finished within line_timeout_s
 *   stall      output queued, and not one byte of it taken for stall_timeout_s
 * A client that has sent a line and reads what it is sent may then stay idle
 * for as long as it likes: `orch chat` waits for hours between turns.
 * While the transport is not reading a client (backpressure), the first two
 * are suspended, and start afresh when it reads again: a line the transport
 * has not read is not the client's delay. The stall rule covers that time.
 */
#ifndef UST_TIMEOUTS_H
#define UST_TIMEOUTS_H

#include "options.h"

#include <stdint.h>

typedef enum timeout_kind { TIMEOUT_NONE, TIMEOUT_HANDSHAKE, TIMEOUT_LINE, TIMEOUT_STALL } timeout_kind;

/* What the deadlines are measured from; times are CLOCK_MONOTONIC ms. */
typedef struct client_clock {
    int64_t connected_ms;    /* or when reading it resumed, for the handshake */
    int spoke;               /* a complete, non-blank line has arrived */
    int partial;             /* part of a line has arrived */
    int64_t partial_since_ms;
    int reading_paused;      /* the transport is not reading the client (backpressure) */
    int output_queued;       /* lines are waiting to be written */
    int64_t progress_ms;     /* when output was last taken, or began waiting */
} client_clock;

typedef struct timeout_due {
    timeout_kind kind;       /* TIMEOUT_NONE: no deadline applies */
    int64_t at_ms;
} timeout_due;

void clock_connected(client_clock *c, int64_t now_ms);
/* After a read: whether a complete line arrived, whether part of one is left over. */
void clock_input(client_clock *c, int completed_line, int partial_left, int64_t now_ms);
/* Before a poll: whether the transport will read the client. */
void clock_reading(client_clock *c, int paused, int64_t now_ms);
/* Before a poll and after a write: whether output is queued, whether bytes were just taken. */
void clock_output(client_clock *c, int queued, int progressed, int64_t now_ms);

/* The earliest deadline that applies to the client. */
timeout_due timeout_next(const client_clock *c, const options *opts);

/* The error code a client closed by the rule is sent ("handshake_timeout", …). */
const char *timeout_code(timeout_kind kind);
/* The rule in a few words for the host's log ("sent no complete line in time", …). */
const char *timeout_headline(timeout_kind kind);
/* What the client is told, naming the option and its value; NUL-terminated. */
void timeout_message(timeout_kind kind, const options *opts, char *out, size_t cap);

#endif
