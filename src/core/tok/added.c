/* added.c - added tokens split the text before anything else. See
 * tok_int.h.
 *
 * As tokenizers' AddedVocabulary: the contents go into a byte trie; the
 * text is scanned for the leftmost match, the longest at that place, then
 * on after it (a match that is refused for single_word still moves the
 * scan past it). lstrip takes the white space before the token into it
 * (but not past the previous token), rstrip the white space after it. */
#include "config.h"
#include "tok_int.h"

#include <stdlib.h>
#include <string.h>

static int32_t tok_trie_node_new(tok_trie *t, unsigned char byte)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		if (tok_realloc(&t->node, cap, sizeof *t->node))
			return -1;
		t->cap = cap;
	}
	t->node[t->n] = (tok_trie_node){-1, -1, -1, byte};
	return (int32_t)t->n++;
}

static void tok_trie_init(tok_trie *t)
{
	if (t->cap == 0)
		for (int i = 0; i < 256; i++)
			t->root[i] = -1;
}

/* The child of node (or of the root when node < 0) for byte c, made when
 * make is set; -1 when absent or out of memory. */
static int32_t tok_trie_step(tok_trie *t, int32_t node, unsigned char c, int make)
{
	int32_t *link = node < 0 ? &t->root[c] : &t->node[node].child;
	if (node < 0) {
		if (*link >= 0 || !make)
			return *link;
		int32_t k = tok_trie_node_new(t, c);
		if (k >= 0)
			t->root[c] = k;
		return k;
	}
	for (int32_t k = *link; k >= 0; k = t->node[k].next)
		if (t->node[k].byte == c)
			return k;
	if (!make)
		return -1;
	int32_t k = tok_trie_node_new(t, c);
	if (k >= 0) {
		t->node[k].next = t->node[node].child; /* node may have moved: index again */
		t->node[node].child = k;
	}
	return k;
}

int tok_trie_add(tok_trie *t, const char *s, size_t n, int32_t token)
{
	tok_trie_init(t);
	if (n == 0)
		return 0;
	int32_t node = -1;
	for (size_t i = 0; i < n; i++) {
		node = tok_trie_step(t, node, (unsigned char)s[i], 1);
		if (node < 0)
			return -1;
	}
	if (t->node[node].token < 0) /* the same content twice: the first keeps it */
		t->node[node].token = token;
	return 0;
}

void tok_trie_free(tok_trie *t)
{
	free(t->node);
	memset(t, 0, sizeof *t);
}

/* The longest token starting at s[i]: its index, with *end set; -1 none. */
static int32_t tok_trie_longest(const tok_trie *t, const char *s, size_t n, size_t i, size_t *end)
{
	int32_t best = -1;
	int32_t node = t->root[(unsigned char)s[i]];
	for (size_t j = i + 1; node >= 0; j++) {
		if (t->node[node].token >= 0) {
			best = t->node[node].token;
			*end = j;
		}
		if (j >= n)
			break;
		unsigned char c = (unsigned char)s[j];
		int32_t k = t->node[node].child;
		while (k >= 0 && t->node[k].byte != c)
			k = t->node[k].next;
		node = k;
	}
	return best;
}

/* The code point that ends s[0..i) (i > 0). */
static uint32_t tok_last_char(const char *s, size_t i)
{
	size_t k = i - 1;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80 && i - k < 4)
		k--;
	uint32_t cp;
	tok_char((const unsigned char *)s + k, i - k, &cp);
	return cp;
}

void tok_segs_add(tok_segs *o, size_t a, size_t b, uint32_t id)
{
	if (o->oom)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		if (tok_realloc(&o->p, cap, sizeof *o->p)) {
			o->oom = 1;
			return;
		}
		o->cap = cap;
	}
	o->p[o->n++] = (tok_seg){a, b, id};
}

/* single_word: no word character may touch the match on either side. */
static int tok_single_word_ok(const char *s, size_t n, size_t a, size_t b)
{
	uint32_t cp;
	if (a > 0 && tok_is_word(tok_last_char(s, a)))
		return 0;
	if (b < n) {
		tok_char((const unsigned char *)s + b, n - b, &cp);
		if (tok_is_word(cp))
			return 0;
	}
	return 1;
}

void tok_added_split(const tok_added *ad, const tok_trie *trie, const char *s, size_t n, tok_segs *out)
{
	size_t done = 0; /* the text before this is in out */
	for (size_t i = 0; i < n;) {
		size_t end = 0;
		int32_t k = trie->root[(unsigned char)s[i]] >= 0 ? tok_trie_longest(trie, s, n, i, &end) : -1;
		if (k < 0) {
			i++;
			continue;
		}
		const tok_added_tok *tk = &ad->tok[k];
		size_t a = i, b = end;
		i = end;
		if (tk->single_word && !tok_single_word_ok(s, n, a, b))
			continue;
		if (tk->lstrip) {
			size_t j = a;
			while (j > 0) {
				uint32_t cp = tok_last_char(s, j);
				if (!tok_is_white(cp))
					break;
				size_t len = 1;
				while (len < j && len < 4 && ((unsigned char)s[j - len] & 0xc0) == 0x80)
					len++;
				j -= len;
			}
			a = j > done ? j : done;
		}
		if (tk->rstrip) {
			uint32_t cp;
			while (b < n) {
				size_t len = tok_char((const unsigned char *)s + b, n - b, &cp);
				if (!tok_is_white(cp))
					break;
				b += len;
			}
		}
		if (done < a)
			tok_segs_add(out, done, a, TOK_NONE);
		tok_segs_add(out, a, b, tk->id);
		done = b;
	}
	if (done < n)
		tok_segs_add(out, done, n, TOK_NONE);
}

void tok_added_free(tok_added *ad)
{
	free(ad->tok);
	tok_trie_free(&ad->raw);
	tok_trie_free(&ad->norm);
	memset(ad, 0, sizeof *ad);
}
