/*
 * options.h — the transport's [transports.options], read from the JSON the
 * host passes to create. Unknown keys and wrong types are errors, named.
 */
#ifndef UST_OPTIONS_H
#define UST_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* sun_path holds 108 bytes including the NUL on Linux. */
#define UST_MAX_PATH 107

typedef struct options {
    char path[UST_MAX_PATH + 1];   /* the socket file; relative to where orch runs */
    size_t max_line_bytes;         /* the longest line a client may send */
    size_t client_queue_limit;     /* lines queued for a client (events and replies) before it is dropped */
    size_t client_queue_bytes;     /* bytes likewise; reading its requests pauses at half of either */
    size_t max_clients;            /* clients connected at once */
    size_t handshake_timeout_s;    /* a client's first complete line is due this soon after connecting */
    size_t line_timeout_s;         /* a line begun must be finished this soon */
    size_t stall_timeout_s;        /* queued output must start moving this soon */
} options;

/* Fills *out from the JSON object `config`. On failure writes a message naming
 * the option and what to do into error (NUL-terminated) and returns 0. */
int options_read(const uint8_t *config, size_t len, options *out, char *error, size_t error_cap);

#endif
