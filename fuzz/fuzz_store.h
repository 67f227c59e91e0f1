/* fuzz_store.h - a fresh feature store per input for the import harnesses,
 * so each run starts from the same state (a crash reproduces from its
 * input alone). */
#ifndef SAEX_FUZZ_STORE_H
#define SAEX_FUZZ_STORE_H

#include "store.h"

/* Opens a fresh read-write copy of an empty store (schema made once, then
 * copied) that already holds the given sources ("model/source" specs, n of
 * them, may be 0). Close with store_close. Aborts on failure. */
store *fz_store_fresh(const char *const *sources, size_t n);

#endif
