/* testutil.c - see testutil.h */
#include "config.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tu_dir[512];
static pid_t tu_owner;

static void tu_cleanup(void)
{
	if (tu_dir[0] && getpid() == tu_owner) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tu_dir);
	}
}

const char *tu_tmpdir(void)
{
	if (!tu_dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tu_dir, sizeof tu_dir, "%s/saex-test-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tu_dir)) {
			perror("mkdtemp");
			abort();
		}
		tu_owner = getpid();
		atexit(tu_cleanup);
	}
	return tu_dir;
}

const char *tu_path(const char *name)
{
	static char bufs[8][1024];
	static int k;
	char *b = bufs[k++ & 7];
	snprintf(b, 1024, "%s/%s", tu_tmpdir(), name);
	return b;
}

void tu_mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
	mkdir(tmp, 0700);
}

void tu_write(const char *path, const void *data, size_t n, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		if (!g || (n && gzwrite(g, data, (unsigned)n) != (int)n) || gzclose(g) != Z_OK) {
			fprintf(stderr, "cannot write %s\n", path);
			abort();
		}
		return;
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

char *tu_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	size_t k;
	while ((k = fread(buf + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	fclose(f);
	buf[len] = 0;
	if (n)
		*n = len;
	return buf;
}

const char *tu_fixtures(void)
{
	static char path[1024];
	const char *d = getenv("SAEX_FIXTURES");
	if (!d || !*d)
		d = "../shared/fixtures";
	snprintf(path, sizeof path, "%s/neuronpedia/export-features-batch-sample.jsonl", d);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "# fixtures not found at %s (set SAEX_FIXTURES): skipping those tests\n", d);
		return NULL;
	}
	snprintf(path, sizeof path, "%s", d);
	return path;
}

int tu_run(Suite *s)
{
	tu_tmpdir(); /* owned (and removed) by this process, shared by forked tests */
	SRunner *sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
