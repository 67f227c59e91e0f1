/* decode.c - the decoders: token strings back to text. See tok_int.h.
 *
 * As tokenizers' decoders, each turning a list of strings into another
 * list, joined at the end; one difference: where tokenizers puts U+FFFD
 * for bytes that are not valid UTF-8 (ByteLevel, ByteFallback), saex keeps
 * the bytes, so that decoding gives back exactly the text that was encoded
 * (callers escape what they print). */
#include "config.h"
#include "tok_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tok_strs_add(tok_strs *t, const char *s, size_t n)
{
	size_t a = t->text.n;
	tbuf_add(&t->text, s, n);
	tok_spans_add(&t->at, a, a + n, 0);
}

void tok_strs_free(tok_strs *s)
{
	tbuf_free(&s->text);
	tok_spans_free(&s->at);
}

static void tok_strs_clear(tok_strs *s)
{
	s->text.n = 0;
	s->at.n = 0;
}

/* ByteLevel: each token's characters back to bytes (a token with a
 * character outside the alphabet stays as it is), all in one string. */
static void tok_dec_bytelevel(const tok_strs *in, tok_strs *out)
{
	tbuf b = {0};
	for (size_t i = 0; i < in->at.n; i++) {
		const char *s = in->text.p + in->at.p[i].a;
		size_t n = in->at.p[i].b - in->at.p[i].a, start = b.n;
		int ok = 1;
		for (size_t j = 0; j < n && ok;) {
			uint32_t cp;
			j += tok_char((const unsigned char *)s + j, n - j, &cp);
			int byte = tok_char_byte(cp);
			if (byte < 0)
				ok = 0;
			else
				tbuf_addc(&b, (char)byte);
		}
		if (!ok) {
			b.n = start;
			tbuf_add(&b, s, n);
		}
	}
	tok_strs_add(out, b.p ? b.p : "", b.n);
	if (b.oom)
		out->text.oom = 1;
	tbuf_free(&b);
}

static int tok_hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* <0xXX> -> the byte, or -1. */
static int tok_byte_token(const char *s, size_t n)
{
	if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
		return -1;
	int hi = tok_hexdigit(s[3]), lo = tok_hexdigit(s[4]);
	return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* ByteFallback: each run of <0xXX> tokens becomes one token of those bytes. */
static void tok_dec_bytefallback(const tok_strs *in, tok_strs *out)
{
	tbuf run = {0};
	for (size_t i = 0; i < in->at.n; i++) {
		const char *s = in->text.p + in->at.p[i].a;
		size_t n = in->at.p[i].b - in->at.p[i].a;
		int byte = tok_byte_token(s, n);
		if (byte >= 0) {
			tbuf_addc(&run, (char)byte);
			continue;
		}
		if (run.n) {
			tok_strs_add(out, run.p, run.n);
			run.n = 0;
		}
		tok_strs_add(out, s, n);
	}
	if (run.n)
		tok_strs_add(out, run.p, run.n);
	if (run.oom)
		out->text.oom = 1;
	tbuf_free(&run);
}

/* Strip: up to start copies of ch off the front of each token, up to stop
 * off the back. */
static void tok_dec_strip(const tok_dec *d, const tok_strs *in, tok_strs *out)
{
	const struct { const char *p; size_t n; } c = {d->ch_utf8, d->ch_len};
	for (size_t i = 0; i < in->at.n; i++) {
		const char *s = in->text.p + in->at.p[i].a;
		size_t n = in->at.p[i].b - in->at.p[i].a, a = 0, b = n;
		for (size_t k = 0; k < d->start && a + c.n <= b && memcmp(s + a, c.p, c.n) == 0; k++)
			a += c.n;
		for (size_t k = 0; k < d->stop && b >= a + c.n && memcmp(s + b - c.n, c.p, c.n) == 0; k++)
			b -= c.n;
		tok_strs_add(out, s + a, b - a);
	}
}

/* Metaspace: the replacement becomes a space, except in the sequence's
 * first token, where it goes (unless the prepend scheme is "never"). */
static void tok_dec_metaspace(const tok_dec *d, const tok_strs *in, size_t first, tok_strs *out)
{
	const struct { const char *p; size_t n; } rep = {d->ch_utf8, d->ch_len};
	tbuf b = {0};
	for (size_t i = 0; i < in->at.n; i++) {
		const char *s = in->text.p + in->at.p[i].a;
		size_t n = in->at.p[i].b - in->at.p[i].a;
		int drop = first + i == 0 && d->prepend != 0;
		b.n = 0;
		for (size_t j = 0; j < n;) {
			if (j + rep.n <= n && memcmp(s + j, rep.p, rep.n) == 0) {
				if (!drop)
					tbuf_addc(&b, ' ');
				j += rep.n;
			} else {
				tbuf_addc(&b, s[j]);
				j++;
			}
		}
		tok_strs_add(out, b.p ? b.p : "", b.n);
	}
	if (b.oom)
		out->text.oom = 1;
	tbuf_free(&b);
}

static int tok_dec_one(const tok_dec *d, const tok_strs *in, size_t first, tok_strs *out, char *msg, size_t msglen)
{
	tok_strs_clear(out);
	switch (d->kind) {
	case TOK_D_BYTELEVEL:
		tok_dec_bytelevel(in, out);
		break;
	case TOK_D_BYTEFALLBACK:
		tok_dec_bytefallback(in, out);
		break;
	case TOK_D_FUSE:
		tok_strs_add(out, in->text.p ? in->text.p : "", in->text.n); /* the tokens lie end to end */
		break;
	case TOK_D_STRIP:
		tok_dec_strip(d, in, out);
		break;
	case TOK_D_METASPACE:
		tok_dec_metaspace(d, in, first, out);
		break;
	case TOK_D_REPLACE: {
		tbuf b = {0};
		for (size_t i = 0; i < in->at.n; i++) {
			b.n = 0;
			if (tok_replace(&d->re, d->text, d->text_len, in->text.p + in->at.p[i].a,
			                in->at.p[i].b - in->at.p[i].a, &b, msg, msglen)) {
				tbuf_free(&b);
				return -1;
			}
			tok_strs_add(out, b.p ? b.p : "", b.n);
		}
		if (b.oom)
			out->text.oom = 1;
		tbuf_free(&b);
		break;
	}
	}
	if (out->text.oom || out->at.oom) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	return 0;
}

int tok_decode_chain(const tok_dec *chain, size_t n, int has_decoder, tok_strs *toks, size_t first, tbuf *out,
                     char *msg, size_t msglen)
{
	tok_strs tmp = {0};
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = tok_dec_one(&chain[i], toks, first, &tmp, msg, msglen);
		tok_strs swap = *toks;
		*toks = tmp;
		tmp = swap;
	}
	tok_strs_free(&tmp);
	if (rc)
		return -1;
	for (size_t i = 0; i < toks->at.n; i++) {
		if (i && !has_decoder)
			tbuf_addc(out, ' ');
		tbuf_add(out, toks->text.p + toks->at.p[i].a, toks->at.p[i].b - toks->at.p[i].a);
	}
	if (out->oom) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	return 0;
}

void tok_dec_free(tok_dec *d)
{
	tok_re_free(&d->re);
	free(d->text);
	memset(d, 0, sizeof *d);
}
