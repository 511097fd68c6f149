/* Compiled into every image that uses the Swift layer. It pins the v1 layout on
 * LP64 (Linux x86_64 and aarch64): a change to a published struct that is not an
 * append fails the build here, before any plugin can be miscompiled against it. */
#include "orch_plugin.h"
#include <assert.h>

#if UINTPTR_MAX == 0xffffffffffffffffu
static_assert(sizeof(orch_bytes) == 16, "orch_bytes layout changed");
static_assert(sizeof(orch_completion) == 16, "orch_completion layout changed");
static_assert(offsetof(orch_event, json) == 80, "orch_event layout changed");
static_assert(offsetof(orch_host, get_extension) == 64, "orch_host layout changed");
static_assert(offsetof(orch_store_v1, request) == 24, "orch_store_v1 layout changed");
static_assert(offsetof(orch_store_diagnostics_v1, request) == 8, "orch_store_diagnostics_v1 layout changed");
static_assert(sizeof(orch_store_diagnostics_v1) == 16, "orch_store_diagnostics_v1 layout changed");
static_assert(offsetof(orch_backend_v1, start_turn) == 32, "orch_backend_v1 layout changed");
static_assert(offsetof(orch_transport_v1, deliver) == 48, "orch_transport_v1 layout changed");
static_assert(offsetof(orch_plugin_descriptor, get_interface) == 48, "orch_plugin_descriptor layout changed");
#endif
