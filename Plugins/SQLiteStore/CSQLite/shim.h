#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: it tells SQLite to copy a bound value.
static inline void (*orch_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
