/*
 * Prints the ABI 1.1 layout: every field's offset and size, every struct's
 * size, and every constant, one per line. Part of the frozen 1.1 snapshot:
 * never edited. Built against the frozen header its output is the reference;
 * ABITests turns it into static_asserts that the current header must pass.
 *
 * Line formats:
 *   field <struct> <member> <offset> <size>
 *   struct <struct> <size>        (may grow by appending)
 *   scalar <type> <size>          (never changes)
 *   const <NAME> <value>
 *   string <NAME> <value>
 */
#include "orch_plugin.h"

#include <stdio.h>

#define FIELD(type, member) \
    printf("field %s %s %zu %zu\n", #type, #member, offsetof(type, member), sizeof(((type *)0)->member))
#define STRUCT(type) printf("struct %s %zu\n", #type, sizeof(type))
#define CONST(name) printf("const %s %lld\n", #name, (long long)(name))
#define STRING(name) printf("string %s %s\n", #name, name)

int main(void) {
    STRUCT(orch_bytes); FIELD(orch_bytes, ptr); FIELD(orch_bytes, len);
    STRUCT(orch_completion); FIELD(orch_completion, ctx); FIELD(orch_completion, fn);
    STRUCT(orch_event);
    FIELD(orch_event, struct_size); FIELD(orch_event, kind); FIELD(orch_event, seq); FIELD(orch_event, orchestrator_id);
    FIELD(orch_event, message_id); FIELD(orch_event, turn_id); FIELD(orch_event, text); FIELD(orch_event, json);
    STRUCT(orch_event_sink); FIELD(orch_event_sink, ctx); FIELD(orch_event_sink, emit);
    STRUCT(orch_host);
    FIELD(orch_host, struct_size); FIELD(orch_host, abi_major); FIELD(orch_host, abi_minor); FIELD(orch_host, host_version);
    FIELD(orch_host, ctx); FIELD(orch_host, log); FIELD(orch_host, request); FIELD(orch_host, publish); FIELD(orch_host, config);
    FIELD(orch_host, get_extension);
    STRUCT(orch_store_v1);
    FIELD(orch_store_v1, struct_size); FIELD(orch_store_v1, create); FIELD(orch_store_v1, destroy); FIELD(orch_store_v1, request);
    STRUCT(orch_store_diagnostics_v1);
    FIELD(orch_store_diagnostics_v1, struct_size); FIELD(orch_store_diagnostics_v1, request);
    STRUCT(orch_backend_v1);
    FIELD(orch_backend_v1, struct_size); FIELD(orch_backend_v1, create); FIELD(orch_backend_v1, destroy);
    FIELD(orch_backend_v1, request); FIELD(orch_backend_v1, start_turn);
    STRUCT(orch_transport_v1);
    FIELD(orch_transport_v1, struct_size); FIELD(orch_transport_v1, create); FIELD(orch_transport_v1, destroy);
    FIELD(orch_transport_v1, request); FIELD(orch_transport_v1, start); FIELD(orch_transport_v1, stop); FIELD(orch_transport_v1, deliver);
    STRUCT(orch_plugin_descriptor);
    FIELD(orch_plugin_descriptor, struct_size); FIELD(orch_plugin_descriptor, abi_major); FIELD(orch_plugin_descriptor, abi_minor);
    FIELD(orch_plugin_descriptor, kinds); FIELD(orch_plugin_descriptor, name); FIELD(orch_plugin_descriptor, version);
    FIELD(orch_plugin_descriptor, description); FIELD(orch_plugin_descriptor, toolchain); FIELD(orch_plugin_descriptor, get_interface);
    printf("scalar orch_status %zu\nscalar orch_log_level %zu\nscalar orch_event_kind %zu\n",
           sizeof(orch_status), sizeof(orch_log_level), sizeof(orch_event_kind));

    CONST(ORCH_ABI_MAJOR); CONST(ORCH_ABI_MINOR);
    CONST(ORCH_OK); CONST(ORCH_ERR_INVALID); CONST(ORCH_ERR_NOT_FOUND); CONST(ORCH_ERR_CONFLICT); CONST(ORCH_ERR_UNSUPPORTED);
    CONST(ORCH_ERR_UNAVAILABLE); CONST(ORCH_ERR_CANCELLED); CONST(ORCH_ERR_TIMEOUT); CONST(ORCH_ERR_INTERNAL);
    CONST(ORCH_LOG_TRACE); CONST(ORCH_LOG_DEBUG); CONST(ORCH_LOG_INFO); CONST(ORCH_LOG_NOTICE); CONST(ORCH_LOG_WARNING);
    CONST(ORCH_LOG_ERROR); CONST(ORCH_LOG_CRITICAL);
    CONST(ORCH_KIND_STORE); CONST(ORCH_KIND_BACKEND); CONST(ORCH_KIND_TRANSPORT);
    CONST(ORCH_EVENT_TEXT_DELTA); CONST(ORCH_EVENT_THINKING_DELTA); CONST(ORCH_EVENT_TOOL_USE); CONST(ORCH_EVENT_TOOL_RESULT);
    CONST(ORCH_EVENT_BLOCK_FINAL); CONST(ORCH_EVENT_DRAFT_WITHDRAWN); CONST(ORCH_EVENT_RETRY); CONST(ORCH_EVENT_STATUS);
    CONST(ORCH_EVENT_WIRE); CONST(ORCH_EVENT_CUSTOM);
    STRING(ORCH_PLUGIN_ENTRY_SYMBOL); STRING(ORCH_IID_STORE_V1); STRING(ORCH_IID_BACKEND_V1); STRING(ORCH_IID_TRANSPORT_V1);
    STRING(ORCH_IID_STORE_DIAGNOSTICS_V1);
    return 0;
}
