/*
 * The IO thread: one poll() loop that accepts clients, reads their lines,
 * writes their queues without ever waiting for one of them, and closes those
 * that leave, break, fall too far behind or hold their socket idle past a
 * deadline (timeouts.h: the poll timeout is the nearest deadline, so no timer
 * thread is needed). See transport.h for the rules.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "transport.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define WRITE_BATCH 64
#define CLOSE_GRACE_MS 30000 /* time a dropped client gets to read why */
#define STOP_FLUSH_MS 1000
#define TRIM_AFTER_BYTES (1u << 20)

static const char shutting_down[] = "orch is shutting down; reconnect and resume from your last seq";

/* ---- connecting and leaving ---- */

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

/* Tells a client it cannot be served, best effort, and closes it. */
static void turn_away(int fd, const char *code, const char *message) {
    buf b;
    buf_init(&b);
    json_span none = { NULL, 0, JSON_NULL };
    render_error(&b, code, (const uint8_t *)message, strlen(message), NULL, none);
    buf_append_str(&b, "\n");
    if (buf_ok(&b)) (void)!send(fd, b.bytes, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    buf_free(&b);
    close(fd);
}

#define ACCEPT_PAUSE_MS 100

static void accept_clients(transport *t) {
    for (int accepted = 0; accepted < 64; accepted++) {
        int fd = accept(t->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
            /* Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the backlog;
             * stop polling the listener for a moment instead of spinning on it. */
            transport_log(t, ORCH_LOG_WARNING, "cannot accept a client: %s; trying again in %d ms", strerror(errno), ACCEPT_PAUSE_MS);
            t->accept_paused_until_ms = monotonic_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (!set_nonblocking(fd)) {
            close(fd);
            continue;
        }
        pthread_mutex_lock(&t->lock);
        int full = t->client_count >= t->opts.max_clients;
        pthread_mutex_unlock(&t->lock);
        client *c = full ? NULL : calloc(1, sizeof *c);
        if (!c) {
            transport_log(t, ORCH_LOG_WARNING, "refused a client: %zu clients are connected (max_clients)", t->opts.max_clients);
            turn_away(fd, "too_many_clients", "too many clients are connected (max_clients); try again later");
            continue;
        }
        c->fd = fd;
        clock_connected(&c->clock, monotonic_ms());
        buf b;
        buf_init(&b);
        pthread_mutex_lock(&t->lock);
        c->id = t->next_client_id++;
        render_connected(&b, c->id, t->opts.max_line_bytes, t->last_seq, t->stream_id);
        if (buf_ok(&b)) transport_enqueue_local(t, c, b.bytes, b.len);
        c->next = t->clients;
        t->clients = c;
        t->client_count++;
        pthread_mutex_unlock(&t->lock);
        buf_free(&b);
        transport_log(t, ORCH_LOG_DEBUG, "client_%llu connected", (unsigned long long)c->id);
    }
}

static void close_client(transport *t, client *c, const char *why) {
    pthread_mutex_lock(&t->lock);
    for (client **link = &t->clients; *link; link = &(*link)->next) {
        if (*link == c) {
            *link = c->next;
            break;
        }
    }
    t->client_count--;
    transport_drop_deferred(t, c);
    t->released_bytes += c->out.bytes + c->held.bytes + c->in_cap;
    queue_free(&c->out);
    queue_free(&c->held);
    pthread_mutex_unlock(&t->lock);
    close(c->fd);
    transport_log(t, ORCH_LOG_DEBUG, "client_%llu disconnected: %s", (unsigned long long)c->id, why);
    free(c->in);
    free(c);
}

/* Starts closing a client: its backlog is dropped (but a line half written is
 * finished), nothing more is read, it is sent one error line saying why, and
 * it is closed once that is written or CLOSE_GRACE_MS later. The IO thread
 * logs `why` once (serve). Called by the IO thread with the lock held. */
static void begin_close(transport *t, client *c, const char *code, const char *headline, const char *why) {
    t->released_bytes += c->out.bytes + c->held.bytes + c->in_cap;
    queue_clear(&c->out, c->out_offset > 0);
    queue_clear(&c->held, 0);
    c->resuming = 0;
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    buf b;
    buf_init(&b);
    json_span none = { NULL, 0, JSON_NULL };
    render_error(&b, code, (const uint8_t *)why, strlen(why), NULL, none);
    line *l = buf_ok(&b) ? line_new(b.bytes, b.len, 0) : NULL;
    if (l) queue_push(&c->out, l);
    line_release(l);
    buf_free(&b);
    c->closing = 1;
    c->close_deadline_ms = monotonic_ms() + CLOSE_GRACE_MS;
    c->close_code = code;
    c->close_headline = headline;
    snprintf(c->close_why, sizeof c->close_why, "%s", why);
}

/* A client that fell too far behind, or whose deadline passed, starts closing.
 * Called with the lock held; returns the soonest deadline still ahead (ms from
 * now), or -1 when none. */
static int check_limits(transport *t, client *c, int64_t now) {
    if (c->closing) return -1;
    if (c->overflowed) {
        char why[200];
        snprintf(why, sizeof why, "too slow: over %zu lines or %zu bytes queued; reconnect and resume from your last seq",
                 t->opts.client_queue_limit, t->opts.client_queue_bytes);
        begin_close(t, c, "too_slow", "fell too far behind", why);
        t->dropped_slow++;
        return -1;
    }
    clock_reading(&c->clock, client_output_high(t, c), now);
    clock_output(&c->clock, c->out.count > 0, 0, now);
    timeout_due due = timeout_next(&c->clock, &t->opts);
    if (due.kind == TIMEOUT_NONE) return -1;
    if (due.at_ms > now) return due.at_ms - now > INT32_MAX ? INT32_MAX : (int)(due.at_ms - now);
    char why[256];
    timeout_message(due.kind, &t->opts, why, sizeof why);
    begin_close(t, c, timeout_code(due.kind), timeout_headline(due.kind), why);
    t->closed_idle++;
    return -1;
}

/* Hands freed memory back to the system once a client's backlog of a
 * megabyte or more was dropped: the allocator would otherwise keep those pages
 * (lines are small and scattered), and a host that absorbed one flood would
 * stay that size for good. IO thread only, without the lock. */
static void give_back_memory(transport *t) {
    if (t->released_bytes < TRIM_AFTER_BYTES) return;
    t->released_bytes = 0;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

/* ---- writing ---- */

/* Writes as much of the client's queue as the socket takes. Returns 0 if the
 * connection is broken. */
static int write_client(transport *t, client *c) {
    for (;;) {
        struct iovec parts[WRITE_BATCH];
        size_t count = 0, total = 0;
        pthread_mutex_lock(&t->lock);
        for (line *l; count < WRITE_BATCH && (l = queue_at(&c->out, count)); count++) {
            size_t offset = count == 0 ? c->out_offset : 0;
            parts[count].iov_base = l->bytes + offset;
            parts[count].iov_len = l->len - offset;
            total += l->len - offset;
        }
        pthread_mutex_unlock(&t->lock);
        if (count == 0) return 1;
        struct msghdr message;
        memset(&message, 0, sizeof message);
        message.msg_iov = parts;
        message.msg_iovlen = count;
        ssize_t written = sendmsg(c->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        pthread_mutex_lock(&t->lock);
        size_t left = (size_t)written;
        while (left > 0) {
            line *head = queue_at(&c->out, 0);
            size_t rest = head->len - c->out_offset;
            if (left < rest) {
                c->out_offset += left;
                break;
            }
            left -= rest;
            c->out_offset = 0;
            queue_pop(&c->out);
        }
        if (written > 0) clock_output(&c->clock, c->out.count > 0, 1, monotonic_ms());
        pthread_mutex_unlock(&t->lock);
        if ((size_t)written < total) return 1; /* the socket is full: wait for POLLOUT */
    }
}

/* ---- the loop ---- */

typedef struct poll_set {
    struct pollfd *fds;
    client **owners;
    size_t cap;
} poll_set;

static int poll_set_reserve(poll_set *set, size_t n) {
    if (n <= set->cap) return 1;
    size_t cap = n * 2;
    struct pollfd *fds = realloc(set->fds, cap * sizeof *fds);
    if (fds) set->fds = fds;
    client **owners = realloc(set->owners, cap * sizeof *owners);
    if (owners) set->owners = owners;
    if (!fds || !owners) return 0;
    set->cap = cap;
    return 1;
}

static void drain_wake_pipe(transport *t) {
    uint8_t sink[64];
    while (read(t->wake_pipe[0], sink, sizeof sink) > 0) {}
    pthread_mutex_lock(&t->lock);
    t->wake_signalled = 0;
    pthread_mutex_unlock(&t->lock);
}

static void soonest(int *timeout, int wait) {
    if (wait >= 0 && (*timeout < 0 || wait < *timeout)) *timeout = wait;
}

/* Fills the poll set; returns the number of fds and sets the timeout (ms) to
 * the soonest of every deadline. */
static size_t prepare(transport *t, poll_set *set, int *timeout) {
    pthread_mutex_lock(&t->lock);
    size_t n = 0;
    if (!poll_set_reserve(set, t->client_count + 2)) {
        pthread_mutex_unlock(&t->lock);
        *timeout = 10;
        return 0;
    }
    set->fds[n] = (struct pollfd){ t->wake_pipe[0], POLLIN, 0 };
    set->owners[n++] = NULL;
    int64_t now = monotonic_ms();
    *timeout = -1;
    int listening = now >= t->accept_paused_until_ms;
    if (!listening) *timeout = (int)(t->accept_paused_until_ms - now);
    /* The listener's slot is always there (fd -1 when paused) so clients start at index 2. */
    set->fds[n] = (struct pollfd){ listening ? t->listen_fd : -1, POLLIN, 0 };
    set->owners[n++] = NULL;
    for (client *c = t->clients; c; c = c->next) {
        soonest(timeout, check_limits(t, c, now));
        /* Backpressure: a client with too much output waiting is not read
         * until it takes some (check_limits asked client_output_high). */
        short events = c->closing || c->clock.reading_paused ? 0 : POLLIN;
        if (c->out.count) events |= POLLOUT;
        if (c->closing) soonest(timeout, c->close_deadline_ms > now ? (int)(c->close_deadline_ms - now) : 0);
        set->fds[n] = (struct pollfd){ c->fd, events, 0 };
        set->owners[n++] = c;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

static int has_output(transport *t, client *c) {
    pthread_mutex_lock(&t->lock);
    int pending = c->out.count > 0;
    pthread_mutex_unlock(&t->lock);
    return pending;
}

/* Logs, once, why a client is being closed (without the lock: the host's log
 * may take its time). Told-why closes are routine for the timeouts, a warning
 * for a client that could not keep up. */
static void log_closing(transport *t, client *c) {
    if (!c->closing || c->close_logged) return;
    c->close_logged = 1;
    orch_log_level level = strcmp(c->close_code, "too_slow") == 0 || strcmp(c->close_code, "stall_timeout") == 0 ? ORCH_LOG_WARNING : ORCH_LOG_NOTICE;
    transport_log(t, level, "client_%llu %s; closing it (%s): %s", (unsigned long long)c->id, c->close_headline, c->close_code, c->close_why);
}

/* Serves one client after poll: read, write, close if done. */
static void serve(transport *t, client *c, short revents, uint8_t *chunk) {
    log_closing(t, c);
    if ((revents & POLLIN) && !c->closing && !client_read(t, c, chunk)) {
        close_client(t, c, "closed by the client");
        return;
    }
    if ((revents & (POLLERR | POLLNVAL)) || !write_client(t, c)) {
        close_client(t, c, "connection broken");
        return;
    }
    if (!c->closing) return;
    if (!has_output(t, c)) close_client(t, c, c->close_code);
    else if (monotonic_ms() >= c->close_deadline_ms) {
        transport_log(t, ORCH_LOG_WARNING, "client_%llu read nothing for %d ms after it was told %s; closed without it knowing why",
                      (unsigned long long)c->id, CLOSE_GRACE_MS, c->close_code);
        close_client(t, c, c->close_code);
    }
}

/* On stop: no new clients; every client is told, gets up to STOP_FLUSH_MS to
 * take what is queued, then is closed. */
static void wind_down(transport *t, poll_set *set) {
    close(t->listen_fd);
    t->listen_fd = -1;
    socket_file_remove(&t->file);
    pthread_mutex_lock(&t->lock);
    buf b;
    buf_init(&b);
    json_span none = { NULL, 0, JSON_NULL };
    render_error(&b, "shutting_down", (const uint8_t *)shutting_down, strlen(shutting_down), NULL, none);
    for (client *c = t->clients; c; c = c->next) {
        c->overflowed = 0;
        c->closing = 1;
        c->close_code = "shutting_down";
        c->close_logged = 1;
        if (buf_ok(&b)) {
            line *l = line_new(b.bytes, b.len, 0);
            if (l) queue_push(&c->out, l);
            line_release(l);
        }
    }
    buf_free(&b);
    pthread_mutex_unlock(&t->lock);
    int64_t deadline = monotonic_ms() + STOP_FLUSH_MS;
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&t->lock);
        int reserved = poll_set_reserve(set, t->client_count + 1);
        for (client *c = t->clients; c && reserved; c = c->next) {
            if (!c->out.count) continue;
            set->fds[n] = (struct pollfd){ c->fd, POLLOUT, 0 };
            set->owners[n++] = c;
        }
        pthread_mutex_unlock(&t->lock);
        int64_t left = deadline - monotonic_ms();
        if (n == 0 || left <= 0) break;
        if (poll(set->fds, n, (int)left) <= 0) continue;
        for (size_t i = 0; i < n; i++) {
            if (set->fds[i].revents && !write_client(t, set->owners[i])) {
                pthread_mutex_lock(&t->lock);
                queue_clear(&set->owners[i]->out, 0);
                pthread_mutex_unlock(&t->lock);
            }
        }
    }
    while (t->clients) close_client(t, t->clients, "the transport stopped");
}

void *io_loop_run(void *arg) {
    transport *t = arg;
    poll_set set = { NULL, NULL, 0 };
    uint8_t *chunk = malloc(UST_READ_CHUNK);
    for (;;) {
        pthread_mutex_lock(&t->lock);
        int stopping = t->stopping;
        pthread_mutex_unlock(&t->lock);
        if (stopping || !chunk) break;
        int timeout;
        size_t n = prepare(t, &set, &timeout);
        if (n == 0) {
            (void)poll(NULL, 0, 10); /* out of memory for the poll set: try again shortly */
            continue;
        }
        if (poll(set.fds, n, timeout) < 0) continue;
        if (set.fds[0].revents) drain_wake_pipe(t);
        if (set.fds[1].revents & POLLIN) accept_clients(t);
        for (size_t i = 2; i < n; i++) serve(t, set.owners[i], set.fds[i].revents, chunk);
        give_back_memory(t);
    }
    wind_down(t, &set);
    free(set.fds);
    free(set.owners);
    free(chunk);
    pthread_mutex_lock(&t->lock);
    t->io_finished = 1;
    orch_completion stop = transport_take_stop(t);
    pthread_mutex_unlock(&t->lock);
    if (stop.fn) {
        orch_bytes body = { (const uint8_t *)"{}", 2 };
        stop.fn(stop.ctx, ORCH_OK, body);
    }
    return NULL;
}
