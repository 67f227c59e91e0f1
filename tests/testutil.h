/* testutil.h - helpers shared by the Check suites. */
#ifndef SAEX_TESTUTIL_H
#define SAEX_TESTUTIL_H
#include <check.h>
#include <stddef.h>

/* Runs the suite with TAP on stdout; returns the process exit status. */
int tu_run(Suite *s);
/* A fresh temporary folder (removed at exit); caller does not free. */
const char *tu_tmpdir(void);
/* tu_tmpdir()/name, in a static rotating buffer. */
const char *tu_path(const char *name);
/* Writes n bytes to path (gzip-compressed when gz); aborts on failure. */
void tu_write(const char *path, const void *data, size_t n, int gz);
/* Reads a whole file; caller frees; *n its length. NULL if absent. */
char *tu_read(const char *path, size_t *n);
/* The fixtures folder, or NULL (with a note on stderr) when absent. */
const char *tu_fixtures(void);
/* mkdir -p */
void tu_mkdirs(const char *path);
#endif
