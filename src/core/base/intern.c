/* intern.c - open-addressing hash map, keys packed in one growing buffer. */
#include "config.h"
#include "intern.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
	uint64_t hash;     /* 0 = empty (real hashes are forced nonzero) */
	size_t off;        /* key offset in keys */
	uint32_t len, id;
} slot;

struct intern {
	slot *slots;
	size_t cap, count;
	sb keys;
};

intern *intern_new(void)
{
	intern *m = xcalloc(1, sizeof *m);
	m->cap = 1024;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	return m;
}

void intern_free(intern *m)
{
	if (!m)
		return;
	free(m->slots);
	sb_free(&m->keys);
	free(m);
}

static uint64_t intern_fix(uint64_t h)
{
	return h ? h : 1;
}

int64_t intern_find(const intern *m, const char *p, size_t n, uint64_t hash)
{
	hash = intern_fix(hash);
	size_t mask = m->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const slot *s = &m->slots[i];
		if (!s->hash)
			return -1;
		if (s->hash == hash && s->len == n && memcmp(m->keys.p + s->off, p, n) == 0)
			return s->id;
	}
}

static void intern_put(slot *slots, size_t cap, slot v)
{
	size_t mask = cap - 1;
	size_t i = v.hash & mask;
	while (slots[i].hash)
		i = (i + 1) & mask;
	slots[i] = v;
}

void intern_add(intern *m, const char *p, size_t n, uint64_t hash, uint32_t id)
{
	if ((m->count + 1) * 10 > m->cap * 7) {
		size_t cap = m->cap * 2;
		slot *ns = xcalloc(cap, sizeof *ns);
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].hash)
				intern_put(ns, cap, m->slots[i]);
		free(m->slots);
		m->slots = ns;
		m->cap = cap;
	}
	slot v = {intern_fix(hash), m->keys.n, (uint32_t)n, id};
	sb_add(&m->keys, p, n);
	intern_put(m->slots, m->cap, v);
	m->count++;
}

size_t intern_count(const intern *m)
{
	return m->count;
}
