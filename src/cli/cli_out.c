/* cli_out.c - output helpers shared by the subcommands. */
#include "config.h"
#include "cli.h"
#include "esc.h"
#include "store.h"
#include "saex.h"

#include <errno.h>
#include <langinfo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

void cli_style_init(cli_style *st, FILE *f)
{
	memset(st, 0, sizeof *st);
	st->tty = isatty(fileno(f));
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	st->color = st->tty && !(nc && *nc) && term && strcmp(term, "dumb") != 0;
	st->color256 = st->color && term && (strstr(term, "256") || strstr(term, "direct"));
	st->utf8 = !esc_locale_flags();
	st->width = 100;
	struct winsize ws;
	if (st->tty && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		st->width = ws.ws_col;
}

void cli_put_text(sb *out, const cli_style *st, const char *s, size_t n, unsigned flags)
{
	if (!st->utf8)
		flags |= SAEX_ESC_ASCII;
	esc_append(out, s, n, flags);
}

/* ---------------------------------------------------------------- tokens as text */
static int cli_utf8_valid(const char *s, size_t n)
{
	uint32_t cp;
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = saex_utf8_decode((const unsigned char *)s + i, n - i, &cp)))
			return 0;
	return 1;
}

/* Whether bytes b (n of them), read from a token's byte-level spelling,
 * are what that spelling stands for: some of them a multi-byte
 * character's, and no control character but a tab or a line break. A
 * vocabulary of another alphabet keeps its own text: Gemma's "Māori"
 * would read as M, 0x01, o, r, i. */
static int cli_bytelevel_text(const char *b, long n)
{
	int high = 0;
	for (long i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return 0;
		high |= c >= 0x80;
	}
	return high;
}

/* Adds the bytes token t stands for to buf: a byte token "<0xHH>" (byte
 * fallback, as Gemma's tokenizer and Neuronpedia's exports spell it) is
 * its byte; a byte-level spelling of a multi-byte character's bytes (Llama
 * 3's and Qwen's "Ã¶", kept by SAEDashboard's exports) those bytes; any
 * other token its own text. */
static void cli_token_bytes(const store_str *t, sb *buf)
{
	int b = esc_token_byte(t->p, t->n);
	if (b >= 0) {
		sb_addc(buf, (char)b);
		return;
	}
	size_t at = buf->n;
	sb_grow(buf, t->n);
	long k = saex_tok_bytelevel(t->p, t->n, buf->p + at);
	if (k > 0 && cli_bytelevel_text(buf->p + at, k)) {
		buf->n = at + (size_t)k;
		buf->p[buf->n] = 0; /* as sb_add leaves it */
	} else {
		sb_add(buf, t->p, t->n);
	}
}

long cli_token_group(const store_str *tok, long i, long to, sb *buf)
{
	const store_str *t = &tok[i];
	sb_clear(buf);
	cli_token_bytes(t, buf);
	if (cli_utf8_valid(buf->p, buf->n))
		return i + 1;
	for (long j = i + 1; j < to && j < i + 4; j++) {
		cli_token_bytes(&tok[j], buf);
		if (cli_utf8_valid(buf->p, buf->n))
			return j + 1;
	}
	sb_clear(buf);
	sb_add(buf, t->p, t->n);
	return i + 1;
}

static void cli_json_safe(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	while (i < n) {
		uint32_t cp;
		size_t len;
		if (p[i] == 0x7f) {
			cp = 0x7f;
			len = 1;
		} else if (p[i] < 0x80) {
			i++;
			run++;
			continue;
		} else {
			len = saex_utf8_decode(p + i, n - i, &cp);
			if (len == 0) {
				len = 1;
				cp = 0xfffd; /* not UTF-8: never pass the byte through */
			} else if (!esc_is_format_control(cp)) {
				i += len;
				run += len;
				continue;
			}
		}
		fwrite(p + i - run, 1, run, f);
		run = 0;
		fprintf(f, "\\u%04x", (unsigned)cp);
		i += len;
	}
	fwrite(p + i - run, 1, run, f);
}

int cli_put_json(FILE *f, json_t *doc, int pretty)
{
	size_t flags = JSON_REAL_PRECISION(9) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
	/* outside a UTF-8 locale the bytes of a character may be C1 controls to
	 * the terminal: every non-ASCII character as \uXXXX (the same JSON) */
	if (esc_locale_flags())
		flags |= JSON_ENSURE_ASCII;
	char *s = json_dumps(doc, flags);
	if (!s)
		return -1;
	cli_json_safe(f, s, strlen(s));
	fputc('\n', f);
	free(s);
	return ferror(f) ? -1 : 0;
}

json_t *cli_json_text(const char *s)
{
	return s ? cli_json_token(s, strlen(s)) : json_null();
}

json_t *cli_json_f32(float v)
{
	if (!isfinite(v))
		return json_null();
	char buf[32];
	for (int p = 6; p <= 9; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	return json_real(strtod(buf, NULL));
}

json_t *cli_json_count(float v)
{
	if (isfinite(v) && v == floorf(v) && fabsf(v) < 9e15f)
		return json_integer((json_int_t)v);
	return cli_json_f32(v);
}

void cli_eta(char *buf, size_t n, double s)
{
	if (!(s >= 0) || s > 1e7)
		snprintf(buf, n, "?");
	else if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

json_t *cli_json_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *cli_json_eval(const saex_eval_metrics *m)
{
	json_t *g = json_object();
	for (size_t k = 0; k < saex_eval_n_metrics; k++) {
		json_t *grp = json_object_get(g, saex_eval_metric_groups[k]);
		if (!grp) {
			grp = json_object();
			json_object_set_new(g, saex_eval_metric_groups[k], grp);
		}
		json_object_set_new(grp, saex_eval_metric_names[k], cli_json_num(saex_eval_metric_value(m, k)));
	}
	return g;
}

const char *cli_thousands(int64_t v, char *buf, size_t n)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
	size_t len = strlen(tmp), j = 0;
	char out[48];
	if (v < 0)
		out[j++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = tmp[i];
	}
	out[j] = 0;
	snprintf(buf, n, "%s", out);
	return buf;
}

/* Parses "50256,15496,995" into *ids (caller frees). -1 when malformed. */
int cli_parse_ids(const char *s, uint32_t **ids, size_t *n)
{
	size_t cap = 16;
	*n = 0;
	*ids = xmalloc(cap * sizeof **ids);
	const char *p = s;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || v > UINT32_MAX)
			return -1;
		if (*n == cap)
			*ids = xrealloc(*ids, (cap *= 2) * sizeof **ids);
		(*ids)[(*n)++] = (uint32_t)v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* A token's bytes as a JSON string: bytes that are not valid UTF-8 on
 * their own (part of a character split across tokens) become U+FFFD. */
json_t *cli_json_token(const char *p, size_t n)
{
	sb b = {0};
	esc_utf8_fix(&b, p, n);
	json_t *s = json_stringn(b.p ? b.p : "", b.n);
	sb_free(&b);
	return s;
}

const char *cli_density(double frac, char *buf, size_t n)
{
	if (!(frac >= 0)) {
		snprintf(buf, n, "?");
		return buf;
	}
	double pct = frac * 100;
	if (pct > 0 && pct < 0.00001) {
		snprintf(buf, n, "<0.00001%%");
		return buf;
	}
	int digits = 3; /* after the point: 4 significant digits, 0 to 5 of them */
	for (double v = pct; v >= 10 && digits > 0; v /= 10)
		digits--;
	for (double v = pct; v > 0 && v < 1 && digits < 5; v *= 10)
		digits++;
	snprintf(buf, n, "%.*f%%", digits, pct);
	return buf;
}
