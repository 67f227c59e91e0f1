/* normalize.c - the normalizers, applied in order to each segment of text
 * between added tokens. See tok_int.h.
 *
 * NFC, NFD, NFKC and NFKD come from utf8proc; escaped bytes (not UTF-8 in
 * the input) are left where they are and end the runs that are
 * normalized. Lowercase is Rust's char::to_lowercase: every character's
 * lowercase mapping, which is one character except for U+0130 (i and a
 * combining dot above). Replace replaces every match; Prepend puts its
 * text before a non-empty segment; Strip removes white space at the ends. */
#include "config.h"
#include "tok_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int tok_nf_options(tok_norm_kind k)
{
	switch (k) {
	case TOK_N_NFC: return UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	case TOK_N_NFD: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
	case TOK_N_NFKC: return UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
	default: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
	}
}

/* One run of valid UTF-8 through utf8proc. */
static int tok_nf_run(tok_norm_kind k, const char *s, size_t n, tbuf *out, char *msg, size_t msglen)
{
	if (n == 0)
		return 0;
	int ascii = 1;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii) { /* every normal form leaves ASCII alone */
		tbuf_add(out, s, n);
		return 0;
	}
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t len = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
	                                    (utf8proc_option_t)tok_nf_options(k));
	if (len < 0) {
		snprintf(msg, msglen, "Unicode normalization: %s", utf8proc_errmsg(len));
		return -1;
	}
	tbuf_add(out, dst, (size_t)len);
	free(dst);
	return 0;
}

static int tok_nf(tok_norm_kind k, const char *s, size_t n, tbuf *out, char *msg, size_t msglen)
{
	size_t run = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tok_char((const unsigned char *)s + i, n - i, &cp);
		if (tok_is_escape(cp)) {
			if (tok_nf_run(k, s + run, i - run, out, msg, msglen))
				return -1;
			tbuf_add(out, s + i, len);
			run = i + len;
		}
		i += len;
	}
	return tok_nf_run(k, s + run, n - run, out, msg, msglen);
}

static void tok_lowercase(const char *s, size_t n, tbuf *out)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tok_char((const unsigned char *)s + i, n - i, &cp);
		if (cp < 0x80) {
			tbuf_addc(out, (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
		} else if (cp == 0x130) {
			tbuf_add(out, "i\xcc\x87", 3);
		} else if (tok_is_escape(cp)) {
			tbuf_add(out, s + i, len);
		} else {
			tok_put_cp(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp));
		}
		i += len;
	}
}

int tok_replace(const tok_re *re, const char *with, size_t with_len, const char *s, size_t n, tbuf *out,
                char *msg, size_t msglen)
{
	tok_spans sp = {0};
	if (tok_re_split(re, s, n, 0, &sp, msg, msglen)) {
		tok_spans_free(&sp);
		return -1;
	}
	for (size_t i = 0; i < sp.n; i++) {
		if (sp.p[i].match)
			tbuf_add(out, with, with_len);
		else
			tbuf_add(out, s + sp.p[i].a, sp.p[i].b - sp.p[i].a);
	}
	tok_spans_free(&sp);
	return 0;
}

static void tok_strip(const tok_norm *nm, const char *s, size_t n, tbuf *out)
{
	size_t a = 0, b = n;
	uint32_t cp;
	while (nm->left && a < b) {
		size_t len = tok_char((const unsigned char *)s + a, b - a, &cp);
		if (!tok_is_white(cp))
			break;
		a += len;
	}
	while (nm->right && b > a) {
		size_t k = b - 1;
		while (k > a && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		tok_char((const unsigned char *)s + k, b - k, &cp);
		if (!tok_is_white(cp))
			break;
		b = k;
	}
	tbuf_add(out, s + a, b - a);
}

/* One normalizer: s into out (cleared). */
static int tok_norm_one(const tok_norm *nm, const char *s, size_t n, tbuf *out, char *msg, size_t msglen)
{
	out->n = 0;
	tbuf_add(out, "", 0);
	switch (nm->kind) {
	case TOK_N_NFC: case TOK_N_NFD: case TOK_N_NFKC: case TOK_N_NFKD:
		return tok_nf(nm->kind, s, n, out, msg, msglen);
	case TOK_N_LOWERCASE:
		tok_lowercase(s, n, out);
		return 0;
	case TOK_N_REPLACE:
		return tok_replace(&nm->re, nm->text, nm->text_len, s, n, out, msg, msglen);
	case TOK_N_PREPEND:
		if (n)
			tbuf_add(out, nm->text, nm->text_len);
		tbuf_add(out, s, n);
		return 0;
	case TOK_N_STRIP:
		tok_strip(nm, s, n, out);
		return 0;
	}
	return 0;
}

int tok_normalize(const tok_norm *chain, size_t nchain, const char *s, size_t n, tbuf *out, char *msg,
                  size_t msglen)
{
	out->n = 0;
	tbuf_add(out, s, n);
	tbuf tmp = {0};
	int rc = 0;
	for (size_t i = 0; i < nchain && rc == 0; i++) {
		rc = tok_norm_one(&chain[i], out->p, out->n, &tmp, msg, msglen);
		tbuf swap = *out;
		*out = tmp;
		tmp = swap;
		if (out->oom) {
			snprintf(msg, msglen, "out of memory");
			rc = -1;
		}
	}
	tbuf_free(&tmp);
	return rc;
}

void tok_norm_free(tok_norm *nm)
{
	tok_re_free(&nm->re);
	free(nm->text);
	memset(nm, 0, sizeof *nm);
}
