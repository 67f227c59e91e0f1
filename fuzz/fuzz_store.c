/* fuzz_store.c - fresh stores for the import harnesses. See fuzz_store.h. */
#include "config.h"
#include "fuzz_store.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *fz_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	if (!p || fread(p, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	*n = (size_t)len;
	return p;
}

store *fz_store_fresh(const char *const *sources, size_t n)
{
	static char *tmpl;
	static size_t tmpl_len;
	saex_err e = {{0}, 0};
	store *s;
	if (!tmpl) {
		/* the empty store with its sources, made once */
		const char *path = fz_path("template.db");
		if (store_open(&s, path, STORE_WRITE, &e) != 0)
			goto fail;
		if (store_begin(s, &e) != 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			char model[SAEX_ID_MAX];
			const char *slash = strchr(sources[i], '/');
			int64_t id;
			snprintf(model, sizeof model, "%.*s", (int)(slash - sources[i]), sources[i]);
			if (store_source_ensure(s, model, slash + 1, &id, &e) != 0)
				goto fail;
		}
		if (store_commit(s, &e) != 0)
			goto fail;
		store_close(s);
		tmpl = fz_slurp(path, &tmpl_len);
	}
	const char *db = fz_path("store.db");
	char side[600];
	snprintf(side, sizeof side, "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db);
	unlink(side);
	fz_write(db, tmpl, tmpl_len);
	if (store_open(&s, db, STORE_WRITE, &e) != 0)
		goto fail;
	return s;
fail:
	fprintf(stderr, "fuzz: cannot make a store: %s\n", e.msg);
	abort();
}
