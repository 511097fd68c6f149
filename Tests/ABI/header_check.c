/* Compiled as C11 and as C++17 with -Wall -Wextra -Werror -pedantic against
 * each header under test: including it and naming its types must be clean. */
#include "orch_plugin.h"

static const orch_plugin_descriptor *entry(uint32_t major, uint32_t minor) {
    (void)major;
    (void)minor;
    return 0;
}

int main(void) {
    orch_plugin_entry_fn fn = entry;
    orch_event event = { sizeof(orch_event), ORCH_EVENT_WIRE, 1, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } };
    orch_transport_v1 table = { sizeof(orch_transport_v1), 0, 0, 0, 0, 0, 0 };
    return fn(ORCH_ABI_MAJOR, ORCH_ABI_MINOR) == 0 && event.seq == 1 && table.deliver == 0 ? 0 : 1;
}
