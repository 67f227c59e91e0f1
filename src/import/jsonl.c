/* jsonl.c - see jsonl.h */
#include "config.h"
#include "jsonl.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JSONL_RAW (256 * 1024)   /* raw bytes read at a time */
#define JSONL_CHUNK (256 * 1024) /* first size of the decoded window */

struct jsonl {
	int fd, is_pipe;
	char *path;
	int mode;                /* 0 not known yet, 1 plain, 2 gzip */
	z_stream z;
	int z_live;              /* inflateInit2 was called */
	unsigned char *raw;      /* raw bytes, [raw_pos, raw_len) not decoded yet */
	size_t raw_pos, raw_len;
	int raw_eof;
	int64_t raw_total;
	struct sha256_ctx sha;   /* of every raw byte read */
	char *buf;               /* decoded bytes, [start, end) not consumed */
	size_t cap, start, end;
	long lineno;             /* lines consumed */
	int64_t taken;           /* decoded bytes consumed by jsonl_peek/skip/value */
	int eof, bom_done;
};

int jsonl_open(jsonl **out, const char *path, saex_err *e)
{
	*out = NULL;
	char why[512];
	int pipe;
	int fd = util_open_read(path, 1, &pipe, why, sizeof why);
	if (fd < 0)
		return err_set(e, 2, "%s", why);
	jsonl *j = calloc(1, sizeof *j);
	if (j) {
		j->raw = malloc(JSONL_RAW);
		j->buf = malloc(JSONL_CHUNK + 1);
		j->path = strdup(path);
	}
	if (!j || !j->raw || !j->buf || !j->path) {
		close(fd);
		if (j) {
			free(j->raw);
			free(j->buf);
			free(j->path);
			free(j);
		}
		return err_set(e, JSONL_ENOMEM, "%s: out of memory", path);
	}
	j->fd = fd;
	j->is_pipe = pipe;
	j->cap = JSONL_CHUNK;
	sha256_init(&j->sha);
	*out = j;
	return 0;
}

int jsonl_is_pipe(const jsonl *j)
{
	return j->is_pipe;
}

void jsonl_close(jsonl *j)
{
	if (!j)
		return;
	if (j->z_live)
		inflateEnd(&j->z);
	close(j->fd);
	free(j->raw);
	free(j->buf);
	free(j->path);
	free(j);
}

long jsonl_lineno(const jsonl *j)
{
	return j->lineno;
}

int64_t jsonl_raw_offset(const jsonl *j)
{
	return j->raw_total;
}

/* Reads more raw bytes after the undecoded ones (keeping them). */
static int jsonl_read_raw(jsonl *j, saex_err *e)
{
	if (j->raw_pos > 0) {
		memmove(j->raw, j->raw + j->raw_pos, j->raw_len - j->raw_pos);
		j->raw_len -= j->raw_pos;
		j->raw_pos = 0;
	}
	for (;;) {
		ssize_t n = read(j->fd, j->raw + j->raw_len, JSONL_RAW - j->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, 2, "%s:%ld: %s", j->path, j->lineno + 1, strerror(errno));
			return -1;
		}
		if (n == 0)
			j->raw_eof = 1;
		sha256_update(&j->sha, (size_t)n, j->raw + j->raw_len);
		j->raw_len += (size_t)n;
		j->raw_total += n;
		return 0;
	}
}

static int jsonl_zfail(jsonl *j, saex_err *e, const char *why)
{
	err_set(e, 2, "%s:%ld: damaged compressed data: %s", j->path, j->lineno + 1, why);
	return -1;
}

/* Decides plain or gzip from the first two bytes. */
static int jsonl_start(jsonl *j, saex_err *e)
{
	while (j->raw_len - j->raw_pos < 2 && !j->raw_eof)
		if (jsonl_read_raw(j, e))
			return -1;
	j->mode = j->raw_len - j->raw_pos >= 2 && j->raw[j->raw_pos] == 0x1f && j->raw[j->raw_pos + 1] == 0x8b
	          ? 2 : 1;
	if (j->mode == 2) {
		if (inflateInit2(&j->z, 15 + 16) != Z_OK)
			return err_set(e, JSONL_ENOMEM, "%s: out of memory", j->path);
		j->z_live = 1;
	}
	return 0;
}

/* Inflates what raw holds into dst; *got bytes made. At the end of a gzip
 * member another may follow (as gzip allows); other bytes are damage.
 * 1 at the end, 0 to go on, -1 on an error (*e). */
static int jsonl_inflate(jsonl *j, char *dst, size_t room, size_t *got, saex_err *e)
{
	j->z.next_in = j->raw + j->raw_pos;
	j->z.avail_in = (uInt)(j->raw_len - j->raw_pos);
	j->z.next_out = (Bytef *)dst;
	j->z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
	uInt before = j->z.avail_out;
	int r = inflate(&j->z, Z_NO_FLUSH);
	j->raw_pos = j->raw_len - j->z.avail_in;
	*got = before - j->z.avail_out;
	if (r == Z_STREAM_END) {
		while (j->raw_len - j->raw_pos < 2 && !j->raw_eof)
			if (jsonl_read_raw(j, e))
				return -1;
		if (j->raw_len == j->raw_pos)
			return 1; /* the end */
		if (j->raw_len - j->raw_pos < 2 || j->raw[j->raw_pos] != 0x1f || j->raw[j->raw_pos + 1] != 0x8b)
			return jsonl_zfail(j, e, "bytes after the end of the gzip stream");
		inflateReset(&j->z);
		return 0;
	}
	if (r == Z_MEM_ERROR) {
		err_set(e, JSONL_ENOMEM, "%s: out of memory", j->path);
		return -1;
	}
	if (r == Z_BUF_ERROR && j->z.avail_in == 0) {
		if (j->raw_eof)
			return jsonl_zfail(j, e, "the file ends inside the gzip stream (cut short?)");
		return jsonl_read_raw(j, e);
	}
	if (r != Z_OK)
		return jsonl_zfail(j, e, j->z.msg ? j->z.msg : "unreadable");
	return 0;
}

/* Decodes more bytes into buf[end, cap); sets eof at the end of input. */
static int jsonl_decode(jsonl *j, saex_err *e)
{
	if (!j->mode && jsonl_start(j, e))
		return -1;
	for (;;) {
		size_t room = j->cap - j->end, got = 0;
		if (j->mode == 1) {
			if (j->raw_pos == j->raw_len) {
				if (j->raw_eof) {
					j->eof = 1;
					return 0;
				}
				if (jsonl_read_raw(j, e))
					return -1;
				continue;
			}
			got = j->raw_len - j->raw_pos < room ? j->raw_len - j->raw_pos : room;
			memcpy(j->buf + j->end, j->raw + j->raw_pos, got);
			j->raw_pos += got;
		} else {
			if (j->raw_pos == j->raw_len && !j->raw_eof && jsonl_read_raw(j, e))
				return -1;
			int r = jsonl_inflate(j, j->buf + j->end, room, &got, e);
			if (r < 0)
				return -1;
			if (r == 1)
				j->eof = 1;
		}
		j->end += got;
		if (got || j->eof)
			return 0;
	}
}

/* Makes room after the unconsumed bytes (up to the limit) and decodes more
 * into it. */
static int jsonl_fill(jsonl *j, saex_err *e)
{
	if (j->start > 0) {
		memmove(j->buf, j->buf + j->start, j->end - j->start);
		j->end -= j->start;
		j->start = 0;
	}
	if (j->end == j->cap) {
		if (j->cap >= JSONL_MAX_LINE)
			return err_set(e, 2, "%s:%ld: a line or JSON value longer than %zu MiB (saex's limit; "
			               "see man saex)", j->path, j->lineno + 1, JSONL_MAX_LINE >> 20);
		size_t cap = j->cap * 2 > JSONL_MAX_LINE ? JSONL_MAX_LINE : j->cap * 2;
		char *b = realloc(j->buf, cap + 1);
		if (!b)
			return err_set(e, JSONL_ENOMEM, "%s:%ld: out of memory", j->path, j->lineno + 1);
		j->buf = b;
		j->cap = cap;
	}
	if (jsonl_decode(j, e))
		return -1;
	/* A UTF-8 byte-order mark before the first byte is not data. */
	if (!j->bom_done && (j->end >= 3 || j->eof)) {
		j->bom_done = 1;
		if (j->end >= 3 && memcmp(j->buf, "\xef\xbb\xbf", 3) == 0)
			j->start = 3;
	}
	return 0;
}

/* Decodes until n bytes are unconsumed or the input ends. */
static int jsonl_want(jsonl *j, size_t n, saex_err *e)
{
	while ((j->end - j->start < n || !j->bom_done) && !j->eof)
		if (jsonl_fill(j, e))
			return -1;
	return 0;
}

/* The next line; keep: with its "\n" (and any "\r" before it). */
static int jsonl_line(jsonl *j, int keep, const char **line, size_t *len, saex_err *e)
{
	size_t scanned = 0; /* bytes already searched for '\n' */
	if (!j->bom_done && jsonl_want(j, 3, e))
		return -1;
	for (;;) {
		char *s = j->buf + j->start;
		char *nl = j->end - j->start > scanned ? memchr(s + scanned, '\n', j->end - j->start - scanned) : NULL;
		if (nl || (j->eof && j->start < j->end)) {
			size_t n = nl ? (size_t)(nl - s) : j->end - j->start;
			j->start += nl ? n + 1 : n;
			j->lineno++;
			if (keep) {
				n += nl != NULL; /* not NUL-terminated: the next line follows */
			} else {
				if (n && s[n - 1] == '\r')
					n--;
				s[n] = 0;
			}
			*line = s;
			*len = n;
			return 1;
		}
		if (j->eof)
			return 0;
		scanned = j->end - j->start;
		if (jsonl_fill(j, e))
			return -1;
	}
}

int jsonl_next(jsonl *j, const char **line, size_t *len, saex_err *e)
{
	return jsonl_line(j, 0, line, len, e);
}

int jsonl_next_raw(jsonl *j, const char **line, size_t *len, saex_err *e)
{
	return jsonl_line(j, 1, line, len, e);
}

int jsonl_peek_line(jsonl *j, const char **line, size_t *len, saex_err *e)
{
	size_t at = 0; /* offset of the line being looked at, from start */
	if (!j->bom_done && jsonl_want(j, 3, e))
		return -1;
	for (;;) {
		const char *s = j->buf + j->start;
		size_t have = j->end - j->start;
		const char *nl = have > at ? memchr(s + at, '\n', have - at) : NULL;
		if (nl || (j->eof && at < have)) {
			size_t n = nl ? (size_t)(nl - (s + at)) : have - at;
			size_t k = 0;
			while (k < n && strchr(" \t\r", s[at + k]))
				k++;
			if (k < n) {
				*line = s + at;
				*len = n;
				return 1;
			}
			at += n + (nl ? 1 : 0);
			continue;
		}
		if (j->eof)
			return 0;
		if (jsonl_fill(j, e))
			return -1;
		at = 0; /* the window may have moved: scan again */
	}
}

int jsonl_peek_blank(jsonl *j, size_t limit, saex_err *e)
{
	if (limit > JSONL_MAX_LINE)
		limit = JSONL_MAX_LINE;
	size_t at = 0; /* start of the line being looked at, from start */
	if (!j->bom_done && jsonl_want(j, 3, e))
		return -1;
	for (;;) {
		const char *s = j->buf + j->start;
		size_t have = j->end - j->start;
		const char *nl = have > at ? memchr(s + at, '\n', have - at) : NULL;
		if (nl) {
			size_t k = at;
			while (s + k < nl && strchr(" \t\r", s[k]) && s[k])
				k++;
			if (s + k == nl)
				return 1;
			at = (size_t)(nl - s) + 1;
			continue;
		}
		if (j->eof || have >= limit)
			return 0;
		if (jsonl_fill(j, e))
			return -1;
	}
}

/* Consumes n bytes, counting the lines they end. */
static void jsonl_consume(jsonl *j, size_t n)
{
	for (const char *p = j->buf + j->start, *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		j->lineno++;
	j->start += n;
	j->taken += (int64_t)n;
}

int64_t jsonl_taken(const jsonl *j)
{
	return j->taken;
}

int jsonl_peek(jsonl *j, int *c, saex_err *e)
{
	if (!j->bom_done && jsonl_want(j, 3, e))
		return -1;
	for (;;) {
		while (j->start < j->end && strchr(" \t\r\n", j->buf[j->start]) && j->buf[j->start])
			jsonl_consume(j, 1);
		if (j->start < j->end) {
			*c = (unsigned char)j->buf[j->start];
			return 1;
		}
		if (j->eof)
			return 0;
		if (jsonl_fill(j, e))
			return -1;
	}
}

void jsonl_skip(jsonl *j)
{
	if (j->start < j->end)
		jsonl_consume(j, 1);
}

int jsonl_value(jsonl *j, json_t **out, saex_err *e)
{
	*out = NULL;
	int c;
	int r = jsonl_peek(j, &c, e);
	if (r == 0)
		err_set(e, 2, "%s:%ld: the document ends where a value should be", j->path, j->lineno + 1);
	if (r <= 0)
		return -1;
	for (;;) {
		size_t have = j->end - j->start;
		json_error_t je = {0}; /* jansson leaves the error code unset when memory runs out */
		json_t *v = json_loadb(j->buf + j->start, have,
		                       JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		size_t used = je.position > 0 ? (size_t)je.position : 0;
		/* A value that reaches the end of what is decoded so far may go on
		 * (a number cut in two, a string not closed yet): decode more. */
		if (!j->eof && used + 4 >= have && (v || !jsonl_oom(&je))) {
			json_decref(v);
			if (jsonl_fill(j, e))
				return -1;
			continue;
		}
		if (!v) {
			if (jsonl_oom(&je))
				err_set(e, JSONL_ENOMEM, "%s:%ld: out of memory while reading this value", j->path,
				        j->lineno + je.line);
			else
				err_set(e, 2, "%s:%ld:%d: malformed JSON: %s", j->path, j->lineno + je.line, je.column, je.text);
			return -1;
		}
		jsonl_consume(j, used);
		*out = v;
		return 1;
	}
}

int jsonl_oom(const json_error_t *je)
{
	return json_error_code(je) == json_error_out_of_memory || !je->text[0];
}

static char *jsonl_hex(struct sha256_ctx *ctx)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(ctx, sizeof d, d);
	char *k = xmalloc(8 + 2 * sizeof d);
	memcpy(k, "sha256:", 7);
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(k + 7 + 2 * i, 3, "%02x", d[i]);
	return k;
}

char *jsonl_key(jsonl *j)
{
	struct sha256_ctx c = j->sha; /* sha256_digest resets the context */
	return jsonl_hex(&c);
}

char *jsonl_file_key(const char *path, saex_err *e)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		/* not even opened: a reader that comes and goes could cost the
		 * writer its data */
		e->msg[0] = 0;
		e->code = 0;
		return NULL;
	}
	jsonl *j;
	if (jsonl_open(&j, path, e))
		return NULL;
	if (j->is_pipe) {
		jsonl_close(j);
		e->msg[0] = 0;
		e->code = 0;
		return NULL;
	}
	while (!j->raw_eof) {
		j->raw_pos = j->raw_len; /* hashed as read; not decoded */
		if (jsonl_read_raw(j, e)) {
			jsonl_close(j);
			return NULL;
		}
	}
	char *k = jsonl_key(j);
	jsonl_close(j);
	return k;
}
