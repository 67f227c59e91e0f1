/* regex.c - Oniguruma as `tokenizers` runs it, and the split behaviours.
 * See tok_int.h. */
#include "config.h"
#include "tok_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t tok_onig_once = PTHREAD_ONCE_INIT;

static void tok_onig_init(void)
{
	OnigEncoding enc[1] = {ONIG_ENCODING_UTF8};
	onig_initialize(enc, 1);
}

int tok_re_compile(tok_re *r, const char *pat, size_t n, char *msg, size_t msglen)
{
	pthread_once(&tok_onig_once, tok_onig_init);
	memset(r, 0, sizeof *r);
	OnigErrorInfo info;
	int rc = onig_new(&r->re, (const OnigUChar *)pat, (const OnigUChar *)pat + n, ONIG_OPTION_NONE,
	                  ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
	if (rc != ONIG_NORMAL) {
		OnigUChar s[ONIG_MAX_ERROR_MESSAGE_LEN];
		onig_error_code_to_str(s, rc, &info);
		snprintf(msg, msglen, "%s", (const char *)s);
		r->re = NULL;
		return -1;
	}
	r->region = onig_region_new();
	if (!r->region) {
		snprintf(msg, msglen, "out of memory");
		tok_re_free(r);
		return -1;
	}
	return 0;
}

/* Each ASCII character that is not a letter or digit gets a backslash,
 * which Oniguruma reads as that character itself. */
int tok_re_literal(tok_re *r, const char *s, size_t n, char *msg, size_t msglen)
{
	tbuf b = {0};
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			tbuf_addc(&b, '\\');
		tbuf_addc(&b, (char)c);
	}
	if (b.oom) {
		snprintf(msg, msglen, "out of memory");
		tbuf_free(&b);
		return -1;
	}
	int rc = tok_re_compile(r, b.p ? b.p : "", b.n, msg, msglen);
	tbuf_free(&b);
	return rc;
}

void tok_re_free(tok_re *r)
{
	if (r->region)
		onig_region_free(r->region, 1);
	if (r->re)
		onig_free(r->re);
	memset(r, 0, sizeof *r);
}

void tok_spans_free(tok_spans *s)
{
	free(s->p);
	memset(s, 0, sizeof *s);
}

void tok_spans_add(tok_spans *s, size_t a, size_t b, int match)
{
	if (s->oom)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		if (tok_realloc(&s->p, cap, sizeof *s->p)) {
			s->oom = 1;
			return;
		}
		s->cap = cap;
	}
	s->p[s->n++] = (tok_span){a, b, match};
}

int tok_re_split(const tok_re *r, const char *s, size_t n, int invert, tok_spans *out, char *msg, size_t msglen)
{
	out->n = 0;
	out->oom = 0;
	if (n == 0) {
		tok_spans_add(out, 0, 0, invert);
		return out->oom ? -1 : 0;
	}
	const OnigUChar *str = (const OnigUChar *)s, *end = str + n;
	size_t from = 0, prev = 0;
	int have_last = 0;
	size_t last_end = 0;
	while (from <= n) {
		onig_region_clear(r->region);
		int rc = onig_search(r->re, str, end, str + from, end, r->region, ONIG_OPTION_NONE);
		if (rc == ONIG_MISMATCH)
			break;
		if (rc < 0) {
			OnigUChar m[ONIG_MAX_ERROR_MESSAGE_LEN];
			onig_error_code_to_str(m, rc);
			snprintf(msg, msglen, "%s", (const char *)m);
			return -1;
		}
		size_t a = (size_t)r->region->beg[0], b = (size_t)r->region->end[0];
		if (a == b && have_last && last_end == b) {
			/* an empty match where the last one ended: step one character */
			if (from >= n)
				break;
			uint32_t cp;
			from += tok_char((const unsigned char *)s + from, n - from, &cp);
			continue;
		}
		from = b;
		have_last = 1;
		last_end = b;
		if (prev != a)
			tok_spans_add(out, prev, a, invert);
		tok_spans_add(out, a, b, !invert);
		prev = b;
	}
	if (prev != n)
		tok_spans_add(out, prev, n, invert);
	if (out->oom) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- behaviours
 * As NormalizedString::split in tokenizers: Removed drops the matches,
 * Isolated keeps each match and gap apart, MergedWithPrevious joins a match
 * to the piece before it (unless that piece was a match too), and
 * MergedWithNext to the piece after it; Contiguous joins runs of the same
 * kind. */
void tok_behave(tok_spans *s, tok_behavior how)
{
	size_t k = 0;
	int prev_match = 0;
	switch (how) {
	case TOK_REMOVED:
		for (size_t i = 0; i < s->n; i++)
			if (!s->p[i].match)
				s->p[k++] = s->p[i];
		break;
	case TOK_ISOLATED:
		k = s->n;
		break;
	case TOK_CONTIGUOUS:
		for (size_t i = 0; i < s->n; i++) {
			int m = s->p[i].match;
			if (k > 0 && m == prev_match)
				s->p[k - 1].b = s->p[i].b;
			else
				s->p[k++] = s->p[i];
			prev_match = m;
		}
		break;
	case TOK_MERGED_PREV:
		for (size_t i = 0; i < s->n; i++) {
			int m = s->p[i].match;
			if (m && !prev_match && k > 0)
				s->p[k - 1].b = s->p[i].b;
			else
				s->p[k++] = s->p[i];
			prev_match = m;
		}
		break;
	case TOK_MERGED_NEXT:
		/* from the end: a match takes the piece after it */
		k = s->n;
		for (size_t i = s->n; i-- > 0;) {
			int m = s->p[i].match;
			if (m && !prev_match && k < s->n)
				s->p[k].a = s->p[i].a;
			else
				s->p[--k] = s->p[i];
			prev_match = m;
		}
		if (k < s->n)
			memmove(s->p, s->p + k, (s->n - k) * sizeof *s->p);
		k = s->n - k;
		break;
	}
	s->n = k;
	for (size_t i = 0; i < k; i++)
		s->p[i].match = 0;
}
