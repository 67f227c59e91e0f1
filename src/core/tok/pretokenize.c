/* pretokenize.c - the pre-tokenizers, run as a pipeline: each stage splits
 * (and may rewrite) one piece and hands each of its pieces to the next
 * stage; after the last stage the model turns a piece into ids. A Sequence
 * in tokenizer.json is its members as consecutive stages (each applies to
 * every piece, in order, so nesting changes nothing). See tok_int.h.
 *
 * Each stage owns its scratch buffers: a stage's pieces stay valid while
 * the stages after it run. Pieces that come out empty are dropped, as
 * tokenizers does. "first" marks the piece that starts the text
 * (Metaspace's prepend_scheme "first" needs it). */
#include "config.h"
#include "tok_int.h"
#include "pretok.h"

#include <stdio.h>
#include <string.h>

const char tok_gpt2_pattern[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int tok_pre_oom(char *msg, size_t msglen)
{
	snprintf(msg, msglen, "out of memory");
	return -1;
}

/* Hands each span of s to the next stage. */
static int tok_pre_spans(saex_tok *t, size_t k, const tok_spans *sp, const char *s, int first, tids *out,
                         char *msg, size_t msglen)
{
	for (size_t i = 0; i < sp->n; i++) {
		size_t a = sp->p[i].a, b = sp->p[i].b;
		if (a < b && tok_pre_run(t, k + 1, s + a, b - a, first && a == 0, out, msg, msglen))
			return -1;
	}
	return 0;
}

/* s as tokenizers' character-predicate patterns see it: each character
 * for which pred holds is a match of its own, the runs between are gaps. */
static void tok_char_matches(const char *s, size_t n, int (*pred)(uint32_t), tok_spans *sp)
{
	sp->n = 0;
	sp->oom = 0;
	size_t gap = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tok_char((const unsigned char *)s + i, n - i, &cp);
		if (pred(cp)) {
			if (gap < i)
				tok_spans_add(sp, gap, i, 0);
			tok_spans_add(sp, i, i + len, 1);
			gap = i + len;
		}
		i += len;
	}
	if (gap < n)
		tok_spans_add(sp, gap, n, 0);
}

/* The Whitespace pre-tokenizer's pattern \w+|[^\w\s]+ (Rust's regex crate):
 * maximal runs of word characters and of characters that are neither word
 * nor space, as pieces; the space between them is dropped. */
static void tok_word_runs(const char *s, size_t n, tok_spans *sp)
{
	sp->n = 0;
	sp->oom = 0;
	int cls = -1; /* of the run being built: 1 word, 0 other */
	size_t start = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tok_char((const unsigned char *)s + i, n - i, &cp);
		int c = tok_is_word(cp) ? 1 : tok_is_white(cp) ? -1 : 0;
		if (c != cls) {
			if (cls >= 0)
				tok_spans_add(sp, start, i, 0);
			start = i;
			cls = c;
		}
		i += len;
	}
	if (cls >= 0)
		tok_spans_add(sp, start, n, 0);
}

/* ---------------------------------------------------------------- ByteLevel */

/* The pieces of GPT-2's pattern by pretok.c, as spans. */
static void tok_gpt2_spans(const char *s, size_t n, tok_spans *sp)
{
	sp->n = 0;
	sp->oom = 0;
	for (size_t i = 0; i < n;) {
		size_t j = pretok_next((const unsigned char *)s, n, i);
		tok_spans_add(sp, i, j, 0);
		i = j;
	}
}

/* s's bytes as byte-level characters into out; an escaped byte is its
 * byte again. */
static void tok_bytes_to_chars(const char *s, size_t n, tbuf *out)
{
	out->n = 0;
	if (tbuf_reserve(out, 2 * n))
		return;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 1;
		unsigned b = c;
		if (c == 0xed && i + 2 < n && ((unsigned char)s[i + 1] & 0xf0) == 0xb0) {
			uint32_t cp;
			len = tok_char((const unsigned char *)s + i, n - i, &cp);
			if (tok_is_escape(cp))
				b = cp - 0xdc00;
			else
				len = 1;
		}
		uint32_t ch = tok_byte_char(b);
		if (ch < 0x80) {
			out->p[out->n++] = (char)ch;
		} else {
			out->p[out->n++] = (char)(0xc0 | ch >> 6);
			out->p[out->n++] = (char)(0x80 | (ch & 0x3f));
		}
		i += len;
	}
	out->p[out->n] = 0;
}

static int tok_pre_bytelevel(saex_tok *t, size_t k, const char *s, size_t n, int first, tids *out, char *msg,
                             size_t msglen)
{
	tok_pre *p = &t->pre[k];
	if (p->prefix_space && s[0] != ' ') {
		p->buf2.n = 0;
		tbuf_addc(&p->buf2, ' ');
		tbuf_add(&p->buf2, s, n);
		if (p->buf2.oom)
			return tok_pre_oom(msg, msglen);
		s = p->buf2.p;
		n = p->buf2.n;
	}
	if (!p->use_regex) {
		p->spans.n = 0;
		p->spans.oom = 0;
		tok_spans_add(&p->spans, 0, n, 0);
	} else if (p->fast_gpt2) {
		tok_gpt2_spans(s, n, &p->spans);
	} else if ((!p->re.re && tok_re_compile(&p->re, tok_gpt2_pattern, strlen(tok_gpt2_pattern), msg, msglen)) ||
	           tok_re_split(&p->re, s, n, 0, &p->spans, msg, msglen)) {
		return -1;
	}
	if (p->spans.oom)
		return tok_pre_oom(msg, msglen);
	for (size_t i = 0; i < p->spans.n; i++) {
		size_t a = p->spans.p[i].a, b = p->spans.p[i].b;
		if (a == b)
			continue;
		tok_bytes_to_chars(s + a, b - a, &p->buf);
		if (p->buf.oom)
			return tok_pre_oom(msg, msglen);
		if (tok_pre_run(t, k + 1, p->buf.p, p->buf.n, first && a == 0, out, msg, msglen))
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- Metaspace */
static int tok_pre_metaspace(saex_tok *t, size_t k, const char *s, size_t n, int first, tids *out, char *msg,
                             size_t msglen)
{
	tok_pre *p = &t->pre[k];
	const struct { const char *p; size_t n; } rep = {p->rep, p->rep_len};
	tbuf *b = &p->buf;
	b->n = 0;
	b->oom = 0;
	int starts = n >= rep.n && memcmp(s, rep.p, rep.n) == 0;
	int lead_space = n > 0 && s[0] == ' ';
	/* After ' ' becomes the replacement, the text starts with it when it
	 * started with either. */
	if ((p->prepend == 1 || (p->prepend == 2 && first)) && !starts && !lead_space)
		tbuf_add(b, rep.p, rep.n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			tbuf_add(b, rep.p, rep.n);
		else
			tbuf_addc(b, s[i]);
	}
	if (b->oom)
		return tok_pre_oom(msg, msglen);
	int rc;
	if (!p->split) {
		rc = b->n ? tok_pre_run(t, k + 1, b->p, b->n, first, out, msg, msglen) : 0;
	} else {
		/* split on the replacement, each joined to the piece after it */
		tok_spans *sp = &p->spans;
		sp->n = 0;
		sp->oom = 0;
		size_t gap = 0;
		for (size_t i = 0; i < b->n;) {
			if (i + rep.n <= b->n && memcmp(b->p + i, rep.p, rep.n) == 0) {
				if (gap < i)
					tok_spans_add(sp, gap, i, 0);
				tok_spans_add(sp, i, i + rep.n, 1);
				i += rep.n;
				gap = i;
			} else {
				uint32_t cp;
				i += tok_char((const unsigned char *)b->p + i, b->n - i, &cp);
			}
		}
		if (gap < b->n)
			tok_spans_add(sp, gap, b->n, 0);
		if (sp->oom)
			return tok_pre_oom(msg, msglen);
		tok_behave(&p->spans, TOK_MERGED_NEXT);
		rc = tok_pre_spans(t, k, &p->spans, b->p, first, out, msg, msglen);
	}
	return rc;
}

/* ---------------------------------------------------------------- the pipeline */
int tok_pre_run(saex_tok *t, size_t k, const char *s, size_t n, int first, tids *out, char *msg, size_t msglen)
{
	if (n == 0)
		return 0;
	if (k == t->npre) {
		tok_bpe_word(&t->bpe, &t->vocab, s, n, out);
		return out->oom ? tok_pre_oom(msg, msglen) : 0;
	}
	tok_pre *p = &t->pre[k];
	switch (p->kind) {
	case TOK_P_BYTELEVEL:
		return tok_pre_bytelevel(t, k, s, n, first, out, msg, msglen);
	case TOK_P_METASPACE:
		return tok_pre_metaspace(t, k, s, n, first, out, msg, msglen);
	case TOK_P_SPLIT:
		if (tok_re_split(&p->re, s, n, p->invert, &p->spans, msg, msglen))
			return -1;
		tok_behave(&p->spans, p->behavior);
		break;
	case TOK_P_WHITESPACE:
		tok_word_runs(s, n, &p->spans);
		break;
	case TOK_P_WHITESPACE_SPLIT:
		tok_char_matches(s, n, tok_is_white, &p->spans);
		tok_behave(&p->spans, TOK_REMOVED);
		break;
	case TOK_P_DIGITS:
		tok_char_matches(s, n, tok_is_numeric, &p->spans);
		tok_behave(&p->spans, p->individual ? TOK_ISOLATED : TOK_CONTIGUOUS);
		break;
	}
	if (p->spans.oom)
		return tok_pre_oom(msg, msglen);
	return tok_pre_spans(t, k, &p->spans, s, first, out, msg, msglen);
}

void tok_pre_free(tok_pre *p)
{
	tok_re_free(&p->re);
	tbuf_free(&p->buf);
	tbuf_free(&p->buf2);
	tok_spans_free(&p->spans);
}
