/* intern.h - a map from byte strings to dense 32-bit ids (token interning).
 * The map copies the keys it stores; intern_free releases everything. */
#ifndef SAEX_INTERN_H
#define SAEX_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct intern intern;

intern *intern_new(void);
void intern_free(intern *m);
/* The id of the key, or -1 when absent. */
int64_t intern_find(const intern *m, const char *p, size_t n, uint64_t hash);
/* Adds a key that intern_find reported absent. */
void intern_add(intern *m, const char *p, size_t n, uint64_t hash, uint32_t id);
size_t intern_count(const intern *m);

#endif
