/*
 * orch_plugin.h — the Orch plugin ABI, version 1.
 *
 * This header is the whole contract between the `orch` host and its plugins
 * (stores, model backends, transports). It is plain C11, depends only on
 * <stddef.h> and <stdint.h>, and compiles as C11 and C++17 with
 * -Wall -Wextra -Werror. A plugin needs nothing else from Orch to be built.
 *
 * ---------------------------------------------------------------------------
 * Versioning
 *   - ORCH_ABI_MAJOR changes only on an incompatible change; the entry symbol
 *     carries the major in its name (orch_plugin_entry_v1), so a future v2 host
 *     can still probe for v1 plugins.
 *   - ORCH_ABI_MINOR grows when something is appended. Every struct starts with
 *     `struct_size` and only ever grows at its end; a reader uses the fields that
 *     fit inside the writer's struct_size and treats the rest as absent (NULL/0).
 *   - The host loads a plugin whose major equals its own and whose minor is
 *     lower or equal. A plugin built for a newer minor than the host is refused
 *     (it may rely on host functions the host does not have).
 *   - New capabilities arrive as new interface ids ("orch.store/2") or host
 *     extensions, never as changed meaning of an existing field. How ids are
 *     spelled and revised: docs/interface-ids.md.
 *
 * Changes
 *   1.0  the first published ABI.
 *   1.1  ORCH_IID_STORE_DIAGNOSTICS_V1 and orch_store_diagnostics_v1: the
 *        store operations only tests and benchmarks need, optional, moved
 *        out of "orch.store/1" (whose request now refuses them).
 *
 * Memory ownership (applies to every function unless its comment says otherwise)
 *   - Every pointer passed as an argument is BORROWED for the duration of the
 *     call. The receiver copies what it wants to keep.
 *   - orch_bytes are never NUL-terminated unless stated; always use `len`.
 *   - Strings in descriptors and vtables are static: they live as long as the
 *     library, which is never unloaded (see "Lifetime").
 *
 * Threading
 *   Each function is tagged:
 *   [any-thread]   may be called from any thread, concurrently with itself and
 *                  with other [any-thread] functions of the same object.
 *   [main-thread]  called by the host from its control thread only, never
 *                  concurrently with any other [main-thread] function of the
 *                  same plugin. It may block (connect a database, run
 *                  migrations), but should finish within seconds.
 *   [non-blocking] must return quickly (microseconds): hand work to your own
 *                  thread or event loop. In particular never block the Swift
 *                  cooperative thread pool, which the host and every Swift
 *                  plugin share.
 *   The host never holds a lock while it calls into a plugin, so a plugin may
 *   call back into the host from inside any callback.
 *
 * Asynchronous completion
 *   Requests complete through an orch_completion: the callee calls
 *   `completion.fn(completion.ctx, status, body)` EXACTLY ONCE, from any thread,
 *   possibly before the request function has returned. `body` is borrowed for
 *   the duration of that call. On ORCH_OK the body is the JSON result; on any
 *   other status it is a JSON error object
 *   {"code": "<snake_case>", "message": "<for a human>", "retryable": <bool>}.
 *
 * Lifetime
 *   entry → get_interface → create → (requests, events) → destroy.
 *   The host never calls destroy while a request it sent to that instance is
 *   outstanding, and a plugin must not call into the host table after destroy
 *   has returned. Libraries are opened with RTLD_NOW | RTLD_LOCAL |
 *   RTLD_NODELETE and never dlclose'd: unloading Swift code crashes the Swift
 *   runtime, so swapping a plugin means restarting the host.
 *
 * Trust
 *   Plugins run in-process with the host's privileges; they are trusted code.
 *   The host validates everything a plugin returns that it can (sizes,
 *   versions, JSON), but cannot protect itself from a plugin that traps.
 *
 * Signals
 *   The host owns process signals. A plugin never installs signal handlers.
 */
#ifndef ORCH_PLUGIN_H
#define ORCH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ORCH_ABI_MAJOR 1
#define ORCH_ABI_MINOR 1

/* The one symbol a plugin library exports. */
#define ORCH_PLUGIN_ENTRY_SYMBOL "orch_plugin_entry_v1"

#if defined(_WIN32)
#define ORCH_EXPORT __declspec(dllexport)
#else
#define ORCH_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------- */
/* Basic types                                                               */
/* ------------------------------------------------------------------------- */

/* A borrowed run of bytes (UTF-8 text or JSON). ptr may be NULL when len == 0. */
typedef struct orch_bytes {
    const uint8_t *ptr;
    size_t len;
} orch_bytes;

/* Status codes. Stable numbers; new codes may be appended. A reader that meets
 * an unknown code treats it as ORCH_ERR_INTERNAL. */
typedef int32_t orch_status;
#define ORCH_OK                 0
#define ORCH_ERR_INVALID        1  /* the request is malformed or breaks a rule   */
#define ORCH_ERR_NOT_FOUND      2  /* it names something that does not exist      */
#define ORCH_ERR_CONFLICT       3  /* it collides with the current state          */
#define ORCH_ERR_UNSUPPORTED    4  /* unknown op or capability                    */
#define ORCH_ERR_UNAVAILABLE    5  /* a dependency is down; retrying may succeed  */
#define ORCH_ERR_CANCELLED      6  /* interrupted or shut down                    */
#define ORCH_ERR_TIMEOUT        7  /* a deadline passed                           */
#define ORCH_ERR_INTERNAL       8  /* a bug or an unexpected failure              */

/* Log levels, as in swift-log. */
typedef int32_t orch_log_level;
#define ORCH_LOG_TRACE    0
#define ORCH_LOG_DEBUG    1
#define ORCH_LOG_INFO     2
#define ORCH_LOG_NOTICE   3
#define ORCH_LOG_WARNING  4
#define ORCH_LOG_ERROR    5
#define ORCH_LOG_CRITICAL 6

/* Plugin kinds, a bit each, so one library may provide several. */
#define ORCH_KIND_STORE     (1u << 0)
#define ORCH_KIND_BACKEND   (1u << 1)
#define ORCH_KIND_TRANSPORT (1u << 2)

/* Interface ids passed to orch_plugin_descriptor.get_interface. */
#define ORCH_IID_STORE_V1     "orch.store/1"
#define ORCH_IID_BACKEND_V1   "orch.backend/1"
#define ORCH_IID_TRANSPORT_V1 "orch.transport/1"
/* Optional interfaces: a plugin may leave them out (get_interface returns NULL). */
#define ORCH_IID_STORE_DIAGNOSTICS_V1 "orch.store.diagnostics/1"   /* since 1.1 */

/* The completion of an asynchronous request: see "Asynchronous completion". */
typedef void (*orch_completion_fn)(void *ctx, orch_status status, orch_bytes body);
typedef struct orch_completion {
    void *ctx;               /* owned by whoever issued the request; opaque to the callee */
    orch_completion_fn fn;   /* never NULL */
} orch_completion;

/* ------------------------------------------------------------------------- */
/* Events: the data plane                                                    */
/* ------------------------------------------------------------------------- */

/* Streamed events cross as this small struct, not as JSON, because a reply
 * produces one per token. Field meaning depends on the direction:
 *
 *  backend → host (through orch_event_sink.emit during a turn):
 *    seq = 0; ids are those of the turn; `text` carries the UTF-8 text of a
 *    delta; `json` carries the kind's structured payload (tool input, usage...),
 *    empty for plain deltas.
 *
 *  host → transport (orch_transport_v1.deliver) and plugin → host (host.publish):
 *    `seq` is the host's per-orchestrator sequence number (1, 2, 3, ... with no
 *    gaps) — 0 when a plugin publishes, the host assigns it; `json` is the
 *    complete wire message, a JSON object with "type" and "seq" in the
 *    original Orch contract, rendered once by the host so that a transport can
 *    forward it unchanged; `text` repeats the chunk of a chat_stream event.
 *
 * All orch_bytes are borrowed for the duration of the call that carries the
 * event. Kinds may be appended; a receiver ignores kinds it does not know. */
typedef int32_t orch_event_kind;
/* backend → host */
#define ORCH_EVENT_TEXT_DELTA       1   /* text: a piece of the reply being written          */
#define ORCH_EVENT_THINKING_DELTA   2   /* text: a piece of extended thinking                */
#define ORCH_EVENT_TOOL_USE         3   /* json: {"id","name","input"}                       */
#define ORCH_EVENT_TOOL_RESULT      4   /* json: {"tool_use_id","content","is_error"}        */
#define ORCH_EVENT_BLOCK_FINAL      5   /* text: a finished text block (authoritative);      */
                                        /* json: {"index", "kind": "text"|"thinking"}         */
#define ORCH_EVENT_DRAFT_WITHDRAWN  6   /* streamed text that never became a final block     */
#define ORCH_EVENT_RETRY            7   /* json: {"attempt","max_retries","delay_ms","error"} */
#define ORCH_EVENT_STATUS           8   /* json: free-form status for the UI                 */
/* host → transports */
#define ORCH_EVENT_WIRE             100 /* json: a complete wire message (see above)         */
/* any direction */
#define ORCH_EVENT_CUSTOM           1000 /* json: anything two plugins agree on               */

typedef struct orch_event {
    uint32_t struct_size;          /* sizeof(orch_event) as the writer knows it */
    orch_event_kind kind;
    uint64_t seq;
    orch_bytes orchestrator_id;    /* UUID text, or empty */
    orch_bytes message_id;         /* UUID text of the reply being streamed, or empty */
    orch_bytes turn_id;            /* UUID text, or empty */
    orch_bytes text;               /* UTF-8 */
    orch_bytes json;               /* a JSON object, or empty */
} orch_event;

/* Where a backend streams the events of one turn. [any-thread], but the calls
 * of one turn must not overlap: the host relies on their order. Valid from the
 * start_turn call until just before that turn's completion is called. */
typedef struct orch_event_sink {
    void *ctx;
    void (*emit)(void *ctx, const orch_event *event);
} orch_event_sink;

/* ------------------------------------------------------------------------- */
/* The host table, given to every plugin instance                            */
/* ------------------------------------------------------------------------- */

typedef struct orch_host orch_host;
struct orch_host {
    uint32_t struct_size;
    uint32_t abi_major;            /* the host's ABI version */
    uint32_t abi_minor;
    const char *host_version;      /* NUL-terminated semver of the host, static */
    void *ctx;                     /* host-owned; identifies the plugin instance */

    /* Log a line under this instance's name. [any-thread][non-blocking] */
    void (*log)(const orch_host *host, orch_log_level level, orch_bytes message);

    /* Ask the host to do something: a JSON object with "op" (see
     * docs/protocol.md, "Host operations": "health", "load_chat",
     * "send_chat", "get_orchestrator", "interrupt", "resume", ...).
     * Completes exactly once through `completion`. [any-thread][non-blocking] */
    void (*request)(const orch_host *host, orch_bytes json, orch_completion completion);

    /* Publish an event to the host's event stream; the host assigns `seq`
     * and delivers it to every transport. [any-thread][non-blocking] */
    void (*publish)(const orch_host *host, const orch_event *event);

    /* This instance's options table from config/orch.toml, as a JSON object,
     * with ${ENV} substitution done. Valid until destroy. [any-thread] */
    orch_bytes (*config)(const orch_host *host);

    /* Optional host services by id (none in 1.0); NULL when absent. The
     * returned table is static. [any-thread] */
    const void *(*get_extension)(const orch_host *host, const char *id);
};

/* ------------------------------------------------------------------------- */
/* Kind interfaces                                                           */
/* ------------------------------------------------------------------------- */

/* An instance of a plugin kind, owned by the plugin. Opaque to the host. */
typedef struct orch_instance orch_instance;

/* Creating an instance. [main-thread], may block.
 *   host:    valid until destroy returns; the plugin keeps the pointer.
 *   config:  the same JSON as host->config(host), borrowed.
 *   out:     receives the instance on ORCH_OK.
 *   error:   a host-owned buffer of error_cap bytes; on failure the plugin
 *            writes a NUL-terminated message saying what was wrong and what
 *            to do (truncated to fit).
 * Returns ORCH_OK, or an error status with *out left untouched. */
typedef orch_status (*orch_create_fn)(const orch_host *host, orch_bytes config,
                                      orch_instance **out, char *error, size_t error_cap);

/* Destroying an instance: release everything. [main-thread], may block
 * briefly. No request is outstanding when it is called. */
typedef void (*orch_destroy_fn)(orch_instance *instance);

/* A control-plane request: a JSON object with "op" and its arguments.
 * Completes exactly once. [any-thread][non-blocking] */
typedef void (*orch_request_fn)(orch_instance *instance, orch_bytes json, orch_completion completion);

/* "orch.store/1": persistence. All operations go through `request`; the op
 * names and their JSON are listed in docs/protocol.md ("Store operations"). */
typedef struct orch_store_v1 {
    uint32_t struct_size;
    orch_create_fn create;
    orch_destroy_fn destroy;
    orch_request_fn request;
} orch_store_v1;

/* "orch.store.diagnostics/1" (since 1.1, optional): the operations tests and
 * benchmarks need and the product does not (create_orchestrator, set_status,
 * deletes, row_counts, bulk_insert_chat, explain_chat_history; listed in
 * docs/protocol.md, "Store diagnostics"). A store may leave it out; the host
 * then runs, and only the diagnostics are unavailable.
 *
 * It has no create or destroy: `request` acts on an instance made by the same
 * library's orch_store_v1.create, and is valid until that instance's destroy.
 * The host counts these requests as outstanding requests of the instance (no
 * destroy while one runs). Ownership and completion as for orch_store_v1.
 * [any-thread][non-blocking] */
typedef struct orch_store_diagnostics_v1 {
    uint32_t struct_size;
    orch_request_fn request;
} orch_store_diagnostics_v1;

/* "orch.backend/1": the model. */
typedef struct orch_backend_v1 {
    uint32_t struct_size;
    orch_create_fn create;
    orch_destroy_fn destroy;
    /* Control requests: "status", "interrupt", "close_session", ... */
    orch_request_fn request;
    /* Run one turn. `turn` is JSON: {"turn_id","orchestrator_id","session_id",
     * "resume","message","working_dir", ...}. The backend streams the turn's
     * events through `sink` in order, then calls `completion` once with the
     * turn result ({"session_id","usage","cost_usd","duration_ms",...}) or an
     * error. The sink must not be used after completion is called.
     * [any-thread][non-blocking] */
    void (*start_turn)(orch_instance *instance, orch_bytes turn, orch_event_sink sink,
                       orch_completion completion);
} orch_backend_v1;

/* "orch.transport/1": how clients reach the host. */
typedef struct orch_transport_v1 {
    uint32_t struct_size;
    orch_create_fn create;
    orch_destroy_fn destroy;
    orch_request_fn request;
    /* Start accepting clients (bind, listen). Completes once listening, with
     * {"listening": "<address>"} or an error. [main-thread][non-blocking] */
    void (*start)(orch_instance *instance, orch_completion completion);
    /* Stop accepting, close clients, finish in-flight sends. Completes once
     * stopped; after that the host sends no more events. [main-thread][non-blocking] */
    void (*stop)(orch_instance *instance, orch_completion completion);
    /* An event for the transport's clients. Called in `seq` order, never
     * concurrently for one instance. [non-blocking]: queue per client; never
     * wait for a slow client here. */
    void (*deliver)(orch_instance *instance, const orch_event *event);
} orch_transport_v1;

/* ------------------------------------------------------------------------- */
/* The descriptor and the entry point                                        */
/* ------------------------------------------------------------------------- */

typedef struct orch_plugin_descriptor {
    uint32_t struct_size;
    uint32_t abi_major;            /* ORCH_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;            /* ORCH_ABI_MINOR the plugin was built against */
    uint32_t kinds;                /* ORCH_KIND_* bits it provides */
    const char *name;              /* e.g. "SQLiteStore"; static, NUL-terminated */
    const char *version;           /* the plugin's own semver; static */
    const char *description;       /* one line for `orch plugins`; static, may be NULL */
    /* "c" for a plugin that does not use Swift, else "swift-<version>" of the
     * toolchain it was built with. Swift has no stable ABI on Linux, so the
     * host refuses a Swift plugin built by another toolchain. Static. */
    const char *toolchain;
    /* The vtable for an interface id (ORCH_IID_*), or NULL if not provided.
     * The table is static. [main-thread] */
    const void *(*get_interface)(const char *iid);
} orch_plugin_descriptor;

/* The entry point, the library's only exported symbol:
 *
 *   ORCH_EXPORT const orch_plugin_descriptor *
 *   orch_plugin_entry_v1(uint32_t host_abi_major, uint32_t host_abi_minor);
 *
 * Called once per library, [main-thread]. Returns a static descriptor, or NULL
 * to refuse a host it cannot work with. Must not call into the host (there is
 * no host table yet) and should do no work beyond filling the descriptor. */
typedef const orch_plugin_descriptor *(*orch_plugin_entry_fn)(uint32_t host_abi_major,
                                                               uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* ORCH_PLUGIN_H */
