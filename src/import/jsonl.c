/* jsonl.c - see jsonl.h */
#include "config.h"
#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct jsonl {
	gzFile gz;
	char *path;
	char *buf;          /* read buffer */
	size_t cap, start, end;
	long lineno;
	int eof;
};

#define JSONL_CHUNK (256 * 1024)

int jsonl_open(jsonl **out, const char *path, saex_err *e)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, 2, "%s: %s", path, strerror(errno));
	gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return err_set(e, 2, "%s: cannot read", path);
	}
	gzbuffer(gz, 128 * 1024);
	jsonl *j = xcalloc(1, sizeof *j);
	j->gz = gz;
	j->path = xstrdup(path);
	j->cap = JSONL_CHUNK;
	j->buf = xmalloc(j->cap + 1);
	*out = j;
	return 0;
}

void jsonl_close(jsonl *j)
{
	if (!j)
		return;
	gzclose(j->gz);
	free(j->buf);
	free(j->path);
	free(j);
}

long jsonl_lineno(const jsonl *j)
{
	return j->lineno;
}

int64_t jsonl_raw_offset(jsonl *j)
{
	return (int64_t)gzoffset(j->gz);
}

/* zlib's message, without the "<fd:N>: " that gzdopen puts before it. */
static const char *jsonl_zmsg(const char *msg)
{
	if (msg && msg[0] == '<') {
		const char *p = strstr(msg, ">: ");
		if (p)
			return p + 3;
	}
	return msg ? msg : "read error";
}

static int jsonl_fill(jsonl *j, saex_err *e)
{
	/* Move the partial line to the front, grow when it fills the buffer. */
	if (j->start > 0) {
		memmove(j->buf, j->buf + j->start, j->end - j->start);
		j->end -= j->start;
		j->start = 0;
	}
	if (j->end == j->cap) {
		if (j->cap >= JSONL_MAX_LINE)
			return err_set(e, 2, "%s:%ld: line longer than %zu MiB", j->path, j->lineno + 1,
			               JSONL_MAX_LINE >> 20);
		j->cap *= 2;
		j->buf = xrealloc(j->buf, j->cap + 1);
	}
	int want = (int)(j->cap - j->end > INT32_MAX ? INT32_MAX : j->cap - j->end);
	int got = gzread(j->gz, j->buf + j->end, (unsigned)want);
	if (got < 0) {
		int zerr;
		const char *msg = gzerror(j->gz, &zerr);
		if (zerr == Z_ERRNO)
			return err_set(e, 2, "%s:%ld: %s", j->path, j->lineno + 1, strerror(errno));
		return err_set(e, 2, "%s:%ld: damaged compressed data: %s", j->path, j->lineno + 1,
		               jsonl_zmsg(msg));
	}
	if (got == 0) {
		int zerr;
		const char *msg = gzerror(j->gz, &zerr);
		if (zerr != Z_OK && zerr != Z_STREAM_END)
			return err_set(e, 2, "%s:%ld: damaged compressed data: %s", j->path,
			               j->lineno + 1, msg);
		j->eof = 1;
	}
	j->end += (size_t)got;
	return 0;
}

int jsonl_next(jsonl *j, const char **line, size_t *len, saex_err *e)
{
	for (;;) {
		char *nl = j->start < j->end ? memchr(j->buf + j->start, '\n', j->end - j->start) : NULL;
		if (nl) {
			char *s = j->buf + j->start;
			size_t n = (size_t)(nl - s);
			j->start += n + 1;
			j->lineno++;
			if (n && s[n - 1] == '\r')
				n--;
			s[n] = 0;
			*line = s;
			*len = n;
			return 1;
		}
		if (j->eof) {
			if (j->start == j->end)
				return 0;
			/* Last line without a newline. */
			char *s = j->buf + j->start;
			size_t n = j->end - j->start;
			j->start = j->end;
			j->lineno++;
			s[n] = 0;
			*line = s;
			*len = n;
			return 1;
		}
		if (jsonl_fill(j, e))
			return -1;
	}
}

char *jsonl_file_key(const char *path, int64_t *size, saex_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, 2, "%s: %s", path, strerror(errno));
		return NULL;
	}
	unsigned char *buf = xmalloc(1 << 20);
	uLong crc = crc32(0L, Z_NULL, 0);
	int64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, 2, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
		total += n;
	}
	free(buf);
	close(fd);
	if (size)
		*size = total;
	return xasprintf("%lld-%08lx", (long long)total, (unsigned long)crc);
}
