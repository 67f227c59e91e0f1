/* demo_tok.c - the demo's byte-level BPE vocabulary: GPT-2's 256 byte
 * tokens, a whole token for every word of the word lists and the corpus
 * (with and without GPT-2's leading-space 'Ġ' where a word can start a
 * line), the prefixes that merges build them from, and <|endoftext|>.
 *
 * Merges grow each word from its first character one character at a
 * time ("Ġ s" -> "Ġs", "Ġs h" -> "Ġsh", ...). Ranks go by the length of
 * what a merge makes, and among merges of two characters those starting
 * with 'Ġ' come first. Lowercase words only ever follow a space, so the
 * only pair inside a word that can also start a word is (capital, next):
 * the 'Ġ' merge wins over it, after which only the word's own chain
 * applies. GPT-2's tokenizer (src/core/tok/tokenizer.c) therefore yields the whole
 * word; tests/demo.test checks it. */
#include "config.h"
#include "demo_gen.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* GPT-2's bytes_to_unicode: byte -> code point, and the id order of the
 * 256 byte tokens (printable ranges first, as in GPT-2's vocab.json). */
static void byte_map(unsigned cp[256], int order[256])
{
	int n = 0, extra = 0, isp[256] = {0};
	for (int b = '!'; b <= '~'; b++)
		isp[b] = 1;
	for (int b = 0xA1; b <= 0xAC; b++)
		isp[b] = 1;
	for (int b = 0xAE; b <= 0xFF; b++)
		isp[b] = 1;
	for (int b = 0; b < 256; b++)
		if (isp[b]) {
			cp[b] = (unsigned)b;
			order[n++] = b;
		}
	for (int b = 0; b < 256; b++)
		if (!isp[b]) {
			cp[b] = 256u + (unsigned)extra++;
			order[n++] = b;
		}
}

int demo_vocab_find(const demo_vocab *v, const char *bytes, int len)
{
	for (int i = 0; i < v->n; i++)
		if (v->tok[i].len == len && memcmp(v->tok[i].bytes, bytes, (size_t)len) == 0)
			return i;
	return -1;
}

/* Adds a token (if new) and sets its structural properties. */
static int add_tok(demo_vocab *v, const char *bytes, int len, int whole)
{
	int id = demo_vocab_find(v, bytes, len);
	if (id >= 0) {
		v->tok[id].whole |= whole;
		return id;
	}
	if (v->n >= DEMO_MAXTOK || len >= (int)sizeof v->tok[0].bytes) {
		fprintf(stderr, "demo_gen: vocabulary too large\n");
		exit(1);
	}
	demo_token *t = &v->tok[v->n];
	memset(t, 0, sizeof *t);
	memcpy(t->bytes, bytes, (size_t)len);
	t->len = len;
	t->whole = whole;
	const char *core = bytes;
	int n = len;
	if (n > 1 && core[0] == ' ') {
		core++, n--;
		t->prop[P_SPACE] = 16;
	}
	int digits = 1, punct = 1;
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)core[i];
		digits &= isdigit(c) != 0;
		punct &= c < 128 && ispunct(c) != 0;
	}
	if (n > 0 && digits)
		t->prop[P_DIGIT] = 56 + (core[n - 1] - '0') / 2; /* 3.5 .. 3.75: 8 and 9 strongest */
	if (n > 0 && punct) {
		t->prop[P_PUNCT] = 48;
		if (n == 1 && (core[0] == '.' || core[0] == '!' || core[0] == '?'))
			t->prop[P_END] = 40;
	}
	if (n > 0 && isupper((unsigned char)core[0]))
		t->prop[P_CAP] = 36 + 2 * (n < 6 ? n : 6);
	return v->n++;
}

static void add_word(const char *w, void *user)
{
	demo_vocab *v = user;
	char b[32];
	int n = (int)strlen(w);
	b[0] = ' ';
	memcpy(b + 1, w, (size_t)n);
	add_tok(v, b, n + 1, 1);
	if (isupper((unsigned char)w[0]))
		add_tok(v, w, n, 1);
}

/* Splits a corpus line as GPT-2's pattern does for this plain ASCII text:
 * an optional space, then letters, digits, or other characters. Each piece
 * becomes a token id list (a word is one token; " 1852" is "Ġ1" 8 5 2). */
static void tokenize_line(demo_vocab *v, const char *s, int **ids, int *n, int learn)
{
	int cap = 64, k = 0;
	int *out = malloc((size_t)cap * sizeof *out);
	while (*s) {
		const char *p = s;
		if (*p == ' ')
			p++;
		const char *q = p;
		int cls = isalpha((unsigned char)*q) ? 1 : isdigit((unsigned char)*q) ? 2 : 3;
		if (cls == 1)
			while (isalpha((unsigned char)*q))
				q++;
		else if (cls == 2)
			while (isdigit((unsigned char)*q))
				q++;
		else
			while (*q && *q != ' ' && !isalnum((unsigned char)*q))
				q++;
		if (q == p) {
			fprintf(stderr, "demo_gen: cannot split \"%s\"\n", s);
			exit(1);
		}
		if (k + (int)(q - s) + 1 > cap) {
			cap = 2 * (k + (int)(q - s) + 1);
			out = realloc(out, (size_t)cap * sizeof *out);
		}
		if (cls == 1) {
			if (p == s && !isupper((unsigned char)*p)) {
				fprintf(stderr, "demo_gen: a lowercase word starts a line: \"%s\"\n", s);
				exit(1);
			}
			int id = learn ? add_tok(v, s, (int)(q - s), 1) : demo_vocab_find(v, s, (int)(q - s));
			out[k++] = id;
		} else if (cls == 2) {
			out[k++] = demo_vocab_find(v, s, (int)(p - s) + 1);
			for (const char *d = p + 1; d < q; d++)
				out[k++] = demo_vocab_find(v, d, 1);
		} else {
			if (p != s)
				out[k++] = demo_vocab_find(v, s, 1);
			for (const char *d = p; d < q; d++)
				out[k++] = demo_vocab_find(v, d, 1);
		}
		s = q;
	}
	*ids = out;
	*n = k;
}

typedef struct mrg {
	int l, r, len, sp, order;
} mrg;

static int mrg_cmp(const void *a, const void *b)
{
	const mrg *x = a, *y = b;
	if (x->len != y->len)
		return x->len - y->len;
	if (x->sp != y->sp)
		return y->sp - x->sp;
	return x->order - y->order;
}

void demo_vocab_build(demo_vocab *v, demo_corpus *c)
{
	unsigned cp[256];
	int order[256];
	byte_map(cp, order);
	memset(v, 0, sizeof *v);
	for (int i = 0; i < 256; i++) {
		char b = (char)order[i];
		add_tok(v, &b, 1, 0);
	}
	for (int d = 0; d < 10; d++) {
		char b[2] = {' ', (char)('0' + d)};
		add_tok(v, b, 2, 1);
	}
	demo_words_each(add_word, v);
	for (int i = 0; i < DEMO_LINES; i++) { /* the corpus's words */
		int *ids, n;
		tokenize_line(v, c->text[i], &ids, &n, 1);
		free(ids);
	}
	for (int i = 0; i < v->n; i++)
		if (v->tok[i].whole && v->tok[i].len > 1) {
			char w[32];
			int n = v->tok[i].len;
			memcpy(w, v->tok[i].bytes, (size_t)n);
			w[n] = 0;
			demo_word_props(w[0] == ' ' ? w + 1 : w, v->tok[i].prop);
		}
	/* Chains of merges for every whole token longer than one byte. */
	int nwhole = v->n, cap = 256;
	mrg *m = malloc((size_t)cap * sizeof *m);
	int nm = 0;
	for (int i = 256; i < nwhole; i++) {
		const demo_token *t = &v->tok[i];
		char w[32];
		memcpy(w, t->bytes, (size_t)t->len);
		int len = t->len;
		for (int k = 2; k <= len; k++) {
			int l = demo_vocab_find(v, w, k - 1);
			int r = demo_vocab_find(v, w + k - 1, 1);
			add_tok(v, w, k, 0);
			int dup = 0;
			for (int j = 0; j < nm && !dup; j++)
				dup = m[j].l == l && m[j].r == r;
			if (dup)
				continue;
			if (nm == cap)
				m = realloc(m, (size_t)(cap *= 2) * sizeof *m);
			m[nm] = (mrg){l, r, k, w[0] == ' ', nm};
			nm++;
		}
	}
	qsort(m, (size_t)nm, sizeof *m, mrg_cmp);
	v->merge = malloc((size_t)nm * sizeof *v->merge);
	for (int j = 0; j < nm; j++) {
		v->merge[j][0] = m[j].l;
		v->merge[j][1] = m[j].r;
	}
	v->n_merge = nm;
	free(m);
	v->bos = add_tok(v, "<|endoftext|>", 13, 0);
	for (int i = 0; i < DEMO_LINES; i++)
		tokenize_line(v, c->text[i], &c->ids[i], &c->n_ids[i], 0);
}

/* A token as GPT-2's files spell it: each byte as its mapped code point. */
static void put_mapped(FILE *f, const demo_token *t, int json, const unsigned cp[256])
{
	if (strcmp(t->bytes, "<|endoftext|>") == 0) {
		fputs(t->bytes, f);
		return;
	}
	for (int i = 0; i < t->len; i++) {
		unsigned u = cp[(unsigned char)t->bytes[i]];
		if (json && (u == '"' || u == '\\'))
			fputc('\\', f);
		if (u < 0x80) {
			fputc((int)u, f);
		} else if (u < 0x800) {
			fputc((int)(0xC0 | (u >> 6)), f);
			fputc((int)(0x80 | (u & 0x3F)), f);
		} else {
			fputc((int)(0xE0 | (u >> 12)), f);
			fputc((int)(0x80 | ((u >> 6) & 0x3F)), f);
			fputc((int)(0x80 | (u & 0x3F)), f);
		}
	}
}

int demo_vocab_write(const demo_vocab *v, const char *dir)
{
	unsigned cp[256];
	int order[256];
	byte_map(cp, order);
	FILE *f = demo_open(dir, "vocab.json");
	if (!f)
		return -1;
	fputc('{', f);
	for (int i = 0; i < v->n; i++) {
		fputs(i ? ", \"" : "\"", f);
		put_mapped(f, &v->tok[i], 1, cp);
		fprintf(f, "\": %d", i);
	}
	fputs("}\n", f);
	if (demo_close(f, dir, "vocab.json"))
		return -1;
	f = demo_open(dir, "merges.txt");
	if (!f)
		return -1;
	fputs("#version: 0.2\n", f);
	for (int j = 0; j < v->n_merge; j++) {
		put_mapped(f, &v->tok[v->merge[j][0]], 0, cp);
		fputc(' ', f);
		put_mapped(f, &v->tok[v->merge[j][1]], 0, cp);
		fputc('\n', f);
	}
	return demo_close(f, dir, "merges.txt");
}
