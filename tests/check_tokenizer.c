/* check_tokenizer.c - GPT-2 pre-tokenizer, BPE on hand-made vocabularies,
 * loading errors. (The comparison with the real GPT-2 vocabulary and
 * OpenAI's encoder is tests/tokenizer.test.) */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "pretok.h"
#include "unicode_tab.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- pre-tokenizer */

/* The pieces of s joined with '|'. */
static char *pieces(const char *s, size_t n)
{
	sb b = {0};
	for (size_t i = 0; i < n;) {
		size_t j = pretok_next((const unsigned char *)s, n, i);
		ck_assert_uint_gt(j, i);
		ck_assert_uint_le(j, n);
		if (i)
			sb_addc(&b, '|');
		sb_add(&b, s + i, j - i);
		i = j;
	}
	return b.p ? b.p : xstrdup("");
}

static void check_split(const char *in, const char *want)
{
	char *got = pieces(in, strlen(in));
	char *eg = saex_escape(got, strlen(got), 0), *ew = saex_escape(want, strlen(want), 0);
	ck_assert_msg(strcmp(got, want) == 0, "split '%s': got '%s' want '%s'", in, eg, ew);
	free(eg);
	free(ew);
	free(got);
}

START_TEST(pretok_pattern)
{
	check_split("Hello world", "Hello| world");
	check_split("Hello, world!", "Hello|,| world|!");
	/* contractions: lower case ASCII only, anywhere a match starts */
	check_split("it's", "it|'s");
	check_split("we're they've I'm you'll he'd don't", "we|'re| they|'ve| I|'m| you|'ll| he|'d| don|'t");
	check_split("IT'S", "IT|'|S");
	check_split("I'M HE'D", "I|'|M| HE|'|D");
	check_split("'s", "'s");
	check_split("'sand", "'s|and");
	check_split("''s", "''|s");
	check_split("x 's", "x| '|s");
	check_split("'", "'");
	check_split("'l", "'|l");
	check_split("'re'", "'re|'");
	check_split("rock'n'roll", "rock|'|n|'|roll");
	check_split("it\xe2\x80\x99s", "it|\xe2\x80\x99|s"); /* U+2019 is no apostrophe */
	/* white space: a run before a word gives its last space to the word */
	check_split("a  b", "a| | b");
	check_split("a   b", "a|  | b");
	check_split("a \tb", "a| |\t|b");
	check_split("a\t b", "a|\t| b");
	check_split("a\n\nb", "a|\n|\n|b");
	check_split("a \nb", "a| |\n|b");
	check_split("a  !", "a| | !");
	check_split("trailing   ", "trailing|   ");
	check_split("x\t\t", "x|\t\t");
	check_split("   ", "   ");
	check_split(" ", " ");
	check_split("\n", "\n");
	check_split(" \n x", " \n| x");
	check_split("line\r\nnext", "line|\r|\n|next");
	/* numbers, punctuation */
	check_split("123abc", "123|abc");
	check_split(" 123 4", " 123| 4");
	check_split("1,000.50", "1|,|000|.|50");
	check_split("hello!!! ok", "hello|!!!| ok");
	check_split(" !!", " !!");
	check_split("$5 (x)", "$|5| (|x|)");
	check_split("a_b-c", "a|_|b|-|c");
	check_split("C++ & C#", "C|++| &| C|#");
	/* Unicode letters, numbers, marks, symbols */
	check_split("caf\xc3\xa9 na\xc3\xafve", "caf\xc3\xa9| na\xc3\xafve");
	check_split("e\xcc\x81t\xc3\xa9", "e|\xcc\x81|t\xc3\xa9"); /* a combining mark is not a letter */
	check_split("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99");
	check_split("\xd9\xa3\xd9\xa4 \xe2\x85\xab \xc2\xbd", "\xd9\xa3\xd9\xa4| \xe2\x85\xab| \xc2\xbd"); /* Nd, Nl, No */
	check_split("\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xf0\x9f\x98\x80", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80| \xf0\x9f\x98\x80");
	check_split("\xf0\x9d\x90\x80\xf0\x9d\x90\x81", "\xf0\x9d\x90\x80\xf0\x9d\x90\x81"); /* math bold letters */
	/* Unicode white space: NBSP, ideographic space, NEL (all White_Space) */
	check_split("a\xc2\xa0" "b", "a|\xc2\xa0|b");
	check_split("a\xe3\x80\x80\xe3\x80\x80" "b", "a|\xe3\x80\x80|\xe3\x80\x80|b");
	check_split("a \xe3\x80\x80", "a| \xe3\x80\x80");
	check_split("x\xc2\x85!", "x|\xc2\x85|!");     /* NEL is \s here (JavaScript disagrees) */
	check_split("!\xef\xbb\xbf", "!\xef\xbb\xbf");  /* U+FEFF is not (JavaScript disagrees) */
	/* invalid UTF-8: each bad byte is an "other" character */
	check_split("ab\xff" "cd", "ab|\xff|cd");
	check_split("a \xff", "a| \xff");
	check_split("!\xff?", "!\xff?");
	check_split("\xff\xfe", "\xff\xfe");
	check_split("x\x80y", "x|\x80|y");
	check_split("\xe2\x96 x", "\xe2\x96| x");
	check_split("ok\xc3", "ok|\xc3");
	check_split("\xc0\xaf" "a", "\xc0\xaf|a");         /* overlong */
	check_split("\xed\xa0\x80" "a", "\xed\xa0\x80|a"); /* surrogate */
	check_split("\xf4\x90\x80\x80", "\xf4\x90\x80\x80");  /* above U+10FFFF */
	check_split("'\xff" "s", "'\xff|s");
	check_split("\x1b[31m", "\x1b[|31|m");
}
END_TEST

START_TEST(pretok_nul_and_classes)
{
	/* NUL is an ordinary "other" character */
	char *got = pieces("a\0b \0", 5);
	ck_assert_int_eq(memcmp(got, "a|\0|b| \0", 8), 0);
	free(got);
	ck_assert_int_eq(uni_class('A'), UNI_LETTER);
	ck_assert_int_eq(uni_class('0'), UNI_NUMBER);
	ck_assert_int_eq(uni_class(' '), UNI_SPACE);
	ck_assert_int_eq(uni_class('_'), UNI_OTHER);
	ck_assert_int_eq(uni_class(0xdf), UNI_LETTER);    /* ß */
	ck_assert_int_eq(uni_class(0xaa), UNI_LETTER);    /* ª (Lo) */
	ck_assert_int_eq(uni_class(0xb2), UNI_NUMBER);    /* ² (No) */
	ck_assert_int_eq(uni_class(0x2160), UNI_NUMBER);  /* Ⅰ (Nl) */
	ck_assert_int_eq(uni_class(0x02b0), UNI_LETTER);  /* ʰ (Lm) */
	ck_assert_int_eq(uni_class(0x01c5), UNI_LETTER);  /* ǅ (Lt) */
	ck_assert_int_eq(uni_class(0x4e00), UNI_LETTER);  /* CJK, a First/Last range */
	ck_assert_int_eq(uni_class(0x9fff), UNI_LETTER);
	ck_assert_int_eq(uni_class(0xac00), UNI_LETTER);  /* Hangul */
	ck_assert_int_eq(uni_class(0x20000), UNI_LETTER);
	ck_assert_int_eq(uni_class(0x0301), UNI_OTHER);   /* combining acute */
	ck_assert_int_eq(uni_class(0x1f600), UNI_OTHER);  /* emoji */
	ck_assert_int_eq(uni_class(0x200d), UNI_OTHER);   /* ZWJ */
	ck_assert_int_eq(uni_class(0xfeff), UNI_OTHER);
	ck_assert_int_eq(uni_class(0x85), UNI_SPACE);
	ck_assert_int_eq(uni_class(0x2028), UNI_SPACE);
	ck_assert_int_eq(uni_class(0x180e), UNI_OTHER);   /* no longer a space */
	ck_assert_int_eq(uni_class(0x10ffff), UNI_OTHER);
	ck_assert_int_eq(uni_class(0xe000), UNI_OTHER);   /* private use */
	/* the table is sorted and disjoint */
	for (size_t i = 0; i < uni_nranges; i++) {
		ck_assert_uint_le(uni_ranges[i].lo, uni_ranges[i].hi);
		if (i)
			ck_assert_uint_gt(uni_ranges[i].lo, uni_ranges[i - 1].hi);
	}
	ck_assert_str_eq(uni_version, "15.0.0");
}
END_TEST

/* ---------------------------------------------------------------- hand-made vocabularies */

/* GPT-2's spelling of byte c: the code point of its character. */
static unsigned alphabet_cp(unsigned c)
{
#define PRINTABLE(k) (((k) >= 0x21 && (k) <= 0x7e) || ((k) >= 0xa1 && (k) <= 0xac) || (k) >= 0xae)
	if (PRINTABLE(c))
		return c;
	unsigned n = 0;
	for (unsigned k = 0; k < c; k++)
		n += !PRINTABLE(k);
	return 256 + n;
#undef PRINTABLE
}

/* The token's bytes in GPT-2's alphabet: as JSON escapes (json) or UTF-8. */
static void put_token(sb *b, const char *s, size_t n, int json)
{
	for (size_t i = 0; i < n; i++) {
		unsigned cp = alphabet_cp((unsigned char)s[i]);
		if (json)
			sb_printf(b, "\\u%04x", cp);
		else if (cp < 0x80)
			sb_addc(b, (char)cp);
		else {
			sb_addc(b, (char)(0xc0 | (cp >> 6)));
			sb_addc(b, (char)(0x80 | (cp & 0x3f)));
		}
	}
}

/* A vocabulary: ids 0..255 are the bytes, then the merged tokens in order,
 * then "<|endoftext|>". Each merge is "left|right" in raw bytes. */
static const char *const tiny_merges[] = {
	"h|e", "l|l", "he|ll", "hell|o", " |w", "o|r", " w|or", "l|d", " wor|ld",
	"a|a", "aa|aa", "b|c", "a|b", "\xc3|\xa9",
};
enum { TINY_N = sizeof tiny_merges / sizeof tiny_merges[0], TINY_EOT = 256 + TINY_N };

/* Writes vocab.json, merges.txt and tokenizer.json (merges as "a b"
 * strings, or ["a", "b"] pairs when pairs is set) into folder dir. */
static void write_vocab(const char *dir, const char *const *merges, size_t nm, int pairs)
{
	tu_mkdirs(dir);
	sb v = {0}, m = {0}, ml = {0};
	sb_addc(&v, '{');
	for (unsigned c = 0; c < 256; c++) {
		char ch = (char)c;
		sb_addc(&v, '"');
		put_token(&v, &ch, 1, 1);
		sb_printf(&v, "\":%u,", c);
	}
	sb_adds(&m, "#version: 0.2\n");
	for (size_t i = 0; i < nm; i++) {
		const char *bar = strchr(merges[i], '|'), *r = bar + 1;
		size_t l = (size_t)(bar - merges[i]);
		char *cat = xasprintf("%.*s%s", (int)l, merges[i], r);
		sb_addc(&v, '"');
		put_token(&v, cat, strlen(cat), 1);
		sb_printf(&v, "\":%zu,", 256 + i);
		free(cat);
		put_token(&m, merges[i], l, 0);
		sb_addc(&m, ' ');
		put_token(&m, r, strlen(r), 0);
		sb_addc(&m, '\n');
		sb_adds(&ml, i ? (pairs ? ",[\"" : ",\"") : (pairs ? "[\"" : "\""));
		put_token(&ml, merges[i], l, 1);
		sb_adds(&ml, pairs ? "\",\"" : " ");
		put_token(&ml, r, strlen(r), 1);
		sb_adds(&ml, pairs ? "\"]" : "\"");
	}
	sb_printf(&v, "\"<|endoftext|>\":%zu}", 256 + nm);
	char path[1024];
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	tu_write(path, v.p, v.n, 0);
	snprintf(path, sizeof path, "%s/merges.txt", dir);
	tu_write(path, m.p, m.n, 0);
	char *j = xasprintf(
		"{\"version\":\"1.0\",\"added_tokens\":[{\"id\":%zu,\"content\":\"<|endoftext|>\",\"special\":true}],"
		"\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
		"\"trim_offsets\":true,\"use_regex\":true},\"model\":{\"type\":\"BPE\",\"dropout\":null,"
		"\"vocab\":%s,\"merges\":[%s]}}", 256 + nm, v.p, ml.p ? ml.p : "");
	snprintf(path, sizeof path, "%s/tokenizer.json", dir);
	tu_write(path, j, strlen(j), 0);
	free(j);
	sb_free(&v);
	sb_free(&m);
	sb_free(&ml);
}

static saex_tok *load_tiny(const char *which)
{
	char err[SAEX_ERR_LEN];
	const char *dir = tu_path("tiny");
	write_vocab(dir, tiny_merges, TINY_N, 0);
	char v[1024], m[1024];
	snprintf(v, sizeof v, "%s/vocab.json", dir);
	snprintf(m, sizeof m, "%s/merges.txt", dir);
	saex_tok *t;
	if (strcmp(which, "files") == 0) {
		t = saex_tok_load(dir, err, sizeof err);
	} else {
		snprintf(v, sizeof v, "%s/tokenizer.json", dir);
		t = saex_tok_load_json(v, err, sizeof err);
	}
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

static void check_ids(saex_tok *t, const char *text, size_t n, int bos, const uint32_t *want, size_t nw)
{
	size_t k;
	uint32_t *ids = saex_tok_encode(t, text, n, bos, &k);
	sb got = {0};
	for (size_t i = 0; i < k; i++)
		sb_printf(&got, "%s%u", i ? "," : "", ids[i]);
	ck_assert_msg(k == nw && memcmp(ids, want, k * sizeof *ids) == 0, "'%s': got [%s]", text,
	              got.p ? got.p : "");
	/* decoding gives the text back (after BOS) */
	size_t len;
	char *back = saex_tok_decode(t, ids + (bos ? 1 : 0), k - (bos ? 1 : 0), &len);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(back, text, n), 0);
	free(back);
	sb_free(&got);
	free(ids);
}

#define IDS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)

static void tiny_checks(saex_tok *t)
{
	check_ids(t, "hello", 5, 0, IDS(259));
	check_ids(t, "hello world", 11, 0, IDS(259, 264));
	check_ids(t, " hello", 6, 0, IDS(' ', 259));
	check_ids(t, "hello", 5, 1, IDS(TINY_EOT, 259));
	/* every occurrence of the best pair merges before the next pair */
	check_ids(t, "aa", 2, 0, IDS(265));
	check_ids(t, "aaa", 3, 0, IDS(265, 'a'));
	check_ids(t, "aaaa", 4, 0, IDS(266));
	check_ids(t, "aaaaa", 5, 0, IDS(266, 'a'));
	check_ids(t, "aaaaaa", 6, 0, IDS(266, 265));
	/* rank, not position, decides: b c (rank 11) before a b (rank 12) */
	check_ids(t, "abc", 3, 0, IDS('a', 267));
	check_ids(t, "abab", 4, 0, IDS(268, 268));
	/* a merge of two bytes of one character; the bytes alone fall back */
	check_ids(t, "caf\xc3\xa9", 5, 0, IDS('c', 'a', 'f', 256 + 13));
	check_ids(t, "\xc3", 1, 0, IDS(0xc3));
	check_ids(t, "\xff\xfe\x00\x80", 4, 0, IDS(0xff, 0xfe, 0, 0x80));
	/* the special token in text is text */
	check_ids(t, "<|endoftext|>", 13, 0,
	          IDS('<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>'));
	check_ids(t, "", 0, 0, (const uint32_t[]){0}, 0);
	check_ids(t, "", 0, 1, IDS(TINY_EOT));
	ck_assert_int_eq(saex_tok_bos(t), TINY_EOT);
	ck_assert_uint_eq(saex_tok_vocab_size(t), TINY_EOT + 1);
	size_t len;
	const char *p = saex_tok_bytes(t, 264, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(p, " world", 6), 0);
	p = saex_tok_bytes(t, ' ', &len);
	ck_assert(len == 1 && p[0] == ' ');
	p = saex_tok_bytes(t, TINY_EOT, &len);
	ck_assert(len == 13 && memcmp(p, "<|endoftext|>", 13) == 0);
	ck_assert_ptr_null(saex_tok_bytes(t, TINY_EOT + 1, &len));
	ck_assert_ptr_null(saex_tok_bytes(t, UINT32_MAX, &len));
	ck_assert_int_eq(saex_tok_find(t, " world", 6), 264);
	ck_assert_int_eq(saex_tok_find(t, "\n", 1), '\n');
	ck_assert_int_eq(saex_tok_find(t, "nope", 4), -1);
	uint32_t bad[2] = {259, 99999};
	ck_assert_ptr_null(saex_tok_decode(t, bad, 2, &len));
}

START_TEST(tok_tiny_files)
{
	saex_tok *t = load_tiny("files");
	tiny_checks(t);
	/* the same again: answers now come from the cache */
	tiny_checks(t);
	saex_tok_free(t);
	saex_tok_free(NULL);
}
END_TEST

START_TEST(tok_tiny_json)
{
	saex_tok *t = load_tiny("json");
	tiny_checks(t);
	saex_tok_free(t);
	/* merges as ["a", "b"] pairs */
	const char *dir = tu_path("pairs");
	write_vocab(dir, tiny_merges, TINY_N, 1);
	char p[1024], err[SAEX_ERR_LEN];
	snprintf(p, sizeof p, "%s/tokenizer.json", dir);
	t = saex_tok_load_json(p, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	tiny_checks(t);
	saex_tok_free(t);
	/* a folder with only tokenizer.json */
	snprintf(p, sizeof p, "%s/vocab.json", dir);
	remove(p);
	t = saex_tok_load(dir, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	tiny_checks(t);
	saex_tok_free(t);
}
END_TEST

/* GPT-2's merging, written the slow obvious way: merge every occurrence of
 * the lowest-ranked pair, left to right, then look again. Tokens are raw
 * byte strings. */
static size_t naive_bpe(char **sym, size_t n, char *const *ml, char *const *mr, size_t nm)
{
	for (;;) {
		size_t best = nm;
		for (size_t i = 0; i + 1 < n; i++)
			for (size_t r = 0; r < best; r++)
				if (strcmp(sym[i], ml[r]) == 0 && strcmp(sym[i + 1], mr[r]) == 0) {
					best = r;
					break;
				}
		if (best == nm)
			return n;
		size_t o = 0;
		for (size_t i = 0; i < n;) {
			if (i + 1 < n && strcmp(sym[i], ml[best]) == 0 && strcmp(sym[i + 1], mr[best]) == 0) {
				char *s = xasprintf("%s%s", sym[i], sym[i + 1]);
				free(sym[i]);
				free(sym[i + 1]);
				sym[o++] = s;
				i += 2;
			} else {
				sym[o++] = sym[i++];
			}
		}
		n = o;
	}
}

/* A random merge table over "abc " in which every merge's parts exist
 * before it (as in a trained table), against the naive merging. */
START_TEST(tok_bpe_matches_naive)
{
	enum { NM = 120 };
	char *tokens[NM + 4] = {xstrdup("a"), xstrdup("b"), xstrdup("c"), xstrdup(" ")};
	size_t ntok = 4;
	char *ml[NM], *mr[NM];
	const char *mlist[NM];
	char *mstore[NM];
	uint32_t seed = 7;
	size_t nm = 0;
	while (nm < NM) {
		seed = seed * 1103515245u + 12345u;
		size_t x = (seed >> 8) % ntok;
		seed = seed * 1103515245u + 12345u;
		size_t y = (seed >> 8) % ntok;
		char *cat = xasprintf("%s%s", tokens[x], tokens[y]);
		int have = strlen(cat) > 12;
		for (size_t i = 0; i < ntok && !have; i++)
			have = strcmp(tokens[i], cat) == 0;
		if (have) {
			free(cat);
			continue;
		}
		tokens[ntok++] = cat;
		ml[nm] = tokens[x];
		mr[nm] = tokens[y];
		mstore[nm] = xasprintf("%s|%s", tokens[x], tokens[y]);
		mlist[nm] = mstore[nm];
		nm++;
	}
	const char *dir = tu_path("rand");
	write_vocab(dir, mlist, nm, 0);
	char err[SAEX_ERR_LEN];
	saex_tok *t = saex_tok_load(dir, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	for (int round = 0; round < 400; round++) {
		char text[80];
		size_t n = 1 + (size_t)round % 60;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = "abcab"[(seed >> 10) % 5];
		}
		text[n] = 0;
		/* one piece (no spaces): the whole text is merged */
		char *sym[80];
		for (size_t i = 0; i < n; i++)
			sym[i] = xstrndup(text + i, 1);
		size_t k = naive_bpe(sym, n, ml, mr, nm);
		size_t got;
		uint32_t *ids = saex_tok_encode(t, text, n, 0, &got);
		ck_assert_msg(got == k, "'%s': %zu ids, naive %zu", text, got, k);
		for (size_t i = 0; i < k; i++) {
			size_t len;
			const char *b = saex_tok_bytes(t, ids[i], &len);
			ck_assert_msg(len == strlen(sym[i]) && memcmp(b, sym[i], len) == 0, "'%s': token %zu", text, i);
			free(sym[i]);
		}
		free(ids);
	}
	saex_tok_free(t);
	for (size_t i = 0; i < ntok; i++)
		free(tokens[i]);
	for (size_t i = 0; i < nm; i++)
		free(mstore[i]);
}
END_TEST

/* Any bytes encode and decode back; pieces never exceed the cache's
 * bounds for long; the cache starts over when full. */
START_TEST(tok_any_bytes)
{
	saex_tok *t = load_tiny("files");
	uint32_t seed = 99;
	for (int round = 0; round < 300; round++) {
		char buf[300];
		size_t n = (size_t)round;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
		}
		size_t k, len;
		uint32_t *ids = saex_tok_encode(t, buf, n, 0, &k);
		char *back = saex_tok_decode(t, ids, k, &len);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(back, buf, n), 0);
		free(back);
		free(ids);
	}
	/* a long piece (no spaces) and more distinct words than the cache holds */
	size_t n = 200000;
	char *big = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = "hello"[i % 5];
	size_t k;
	uint32_t *ids = saex_tok_encode(t, big, n, 0, &k);
	ck_assert_uint_eq(k, n / 5);
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(ids[i], 259);
	free(ids);
	sb words = {0};
	for (int i = 0; i < 70000; i++)
		sb_printf(&words, " w%d", i);
	ids = saex_tok_encode(t, words.p, words.n, 0, &k);
	size_t len;
	char *back = saex_tok_decode(t, ids, k, &len);
	ck_assert_uint_eq(len, words.n);
	ck_assert_int_eq(memcmp(back, words.p, len), 0);
	free(back);
	free(ids);
	sb_free(&words);
	free(big);
	saex_tok_free(t);
}
END_TEST

/* ---------------------------------------------------------------- loading errors */

static void tok_bad_dir(const char *dir, const char *const *want)
{
	char err[SAEX_ERR_LEN] = "";
	saex_tok *t = saex_tok_load(dir, err, sizeof err);
	ck_assert_msg(t == NULL, "%s loaded", dir);
	for (const char *const *w = want; *w; w++)
		ck_assert_msg(strstr(err, *w), "message '%s' lacks '%s'", err, *w);
}

static const char *file_in(const char *dir, const char *name, const char *text)
{
	static char path[8][1024];
	static int k;
	char *p = path[k++ & 7];
	snprintf(p, 1024, "%s/%s", dir, name);
	tu_write(p, text, strlen(text), 0);
	return p;
}

START_TEST(tok_load_errors)
{
	const char *dir = tu_path("bad");
	write_vocab(dir, tiny_merges, TINY_N, 0);
	size_t vn;
	char path[1024];
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	char *vocab = tu_read(path, &vn);
	/* merges that name a token the vocabulary lacks */
	const char *m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nqq z\nzz z\n");
	tok_bad_dir(dir, (const char *[]){m, "line 3", "merge 'qq z': 'qq' is not in the vocabulary", NULL});
	m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nh l\n");
	tok_bad_dir(dir, (const char *[]){m, "line 3", "makes 'hl', which is not in the vocabulary", NULL});
	m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nhello\n");
	tok_bad_dir(dir, (const char *[]){m, ":3: a merge is two tokens separated by one space", NULL});
	m = file_in(dir, "merges.txt", "h e x\n");
	tok_bad_dir(dir, (const char *[]){m, ":1:", NULL});
	/* a version line only on the first line; CRLF and blank lines are fine */
	m = file_in(dir, "merges.txt", "#version: 0.2\r\nh e\r\n\r\nl l\r\n");
	char err[SAEX_ERR_LEN];
	saex_tok *t = saex_tok_load(dir, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	saex_tok_free(t);
	/* vocabularies: not JSON, not an object, a missing byte, bad ids */
	m = file_in(dir, "merges.txt", "#version: 0.2\nh e\n");
	const char *v = file_in(dir, "vocab.json", "{\"a\": 1,");
	tok_bad_dir(dir, (const char *[]){v, "not valid JSON", NULL});
	v = file_in(dir, "vocab.json", "[1, 2]");
	tok_bad_dir(dir, (const char *[]){v, "not a JSON object", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": 0, \"e\": 1, \"he\": 2}");
	tok_bad_dir(dir, (const char *[]){v, "no token for the byte 0x00", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": -1}");
	tok_bad_dir(dir, (const char *[]){v, "token 'h' has id -1", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": 99999999999}");
	tok_bad_dir(dir, (const char *[]){v, "token 'h' has id 99999999999", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": \"7\"}");
	tok_bad_dir(dir, (const char *[]){v, "token 'h': the id is not an integer", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": 7, \"e\": 7}");
	tok_bad_dir(dir, (const char *[]){v, "id 7 is given to two tokens", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": 7, \"h\": 8}");
	tok_bad_dir(dir, (const char *[]){v, "duplicate", NULL});
	v = file_in(dir, "vocab.json", "{\"\": 7}");
	tok_bad_dir(dir, (const char *[]){v, "empty token", NULL});
	tu_write(path, vocab, vn, 0);
	/* missing pieces */
	snprintf(path, sizeof path, "%s/merges.txt", dir);
	remove(path);
	snprintf(path, sizeof path, "%s/tokenizer.json", dir);
	remove(path);
	tok_bad_dir(dir, (const char *[]){dir, "no tokenizer here", NULL});
	tok_bad_dir(tu_path("nowhere"), (const char *[]){"nowhere", "No such file", NULL});
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	tok_bad_dir(path, (const char *[]){path, "not a folder", NULL});
	/* tokenizer.json that is not GPT-2's kind */
	static const char *const kinds[][2] = {
		{"{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", "model type Unigram is not supported"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Metaspace\"}}",
		 "pre_tokenizer Metaspace is not supported"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":null}",
		 "pre_tokenizer (none) is not supported"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"normalizer\":{\"type\":\"NFC\"},"
		 "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}", "normalizer NFC is not supported"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},"
		 "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true}}", "add_prefix_space"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[],\"continuing_subword_prefix\":\"##\"},"
		 "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}", "continuing_subword_prefix"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[],\"ignore_merges\":true},"
		 "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}", "model.ignore_merges is not supported"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[],\"dropout\":0.1},"
		 "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}", "model.dropout is not supported"},
		{"{\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}", "no \"model\" object"},
		{"[]", "not a JSON object"},
		{"{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}",
		 "no token for the byte 0x00"},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *j = file_in(dir, "tokenizer.json", kinds[i][0]);
		t = saex_tok_load_json(j, err, sizeof err);
		ck_assert_msg(t == NULL, "kind %zu loaded", i);
		ck_assert_msg(strstr(err, j) && strstr(err, kinds[i][1]), "kind %zu: '%s'", i, err);
	}
	/* a tokenizer.json whose merges are neither form */
	const char *tj = tu_path("tj");
	write_vocab(tj, tiny_merges, TINY_N, 0);
	snprintf(path, sizeof path, "%s/tokenizer.json", tj);
	size_t n;
	char *text = tu_read(path, &n);
	char *at = strstr(text, "\"merges\":[");
	ck_assert_ptr_nonnull(at);
	sb bad = {0};
	sb_add(&bad, text, (size_t)(at - text) + 10);
	sb_adds(&bad, "7,");
	sb_adds(&bad, at + 10);
	tu_write(path, bad.p, bad.n, 0);
	t = saex_tok_load_json(path, err, sizeof err);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "model.merges[0] is not \"a b\" or [\"a\", \"b\"]"), "%s", err);
	sb_free(&bad);
	free(text);
	free(vocab);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tokenizer");
	TCase *tc = tcase_create("tokenizer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pretok_pattern);
	tcase_add_test(tc, pretok_nul_and_classes);
	tcase_add_test(tc, tok_tiny_files);
	tcase_add_test(tc, tok_tiny_json);
	tcase_add_test(tc, tok_bpe_matches_naive);
	tcase_add_test(tc, tok_any_bytes);
	tcase_add_test(tc, tok_load_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
