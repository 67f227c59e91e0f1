/* check_tokenizer.c - the tokenizer: GPT-2's hand-written pre-tokenizer
 * and its agreement with the regex engine, BPE on hand-made vocabularies,
 * each part of the tokenizer.json pipeline on small hand-made files, and
 * loading errors. (The comparisons with the real tokenizers of GPT-2,
 * Llama 3, Qwen3 and Gemma 3 are tests/tokenizer.test, which also runs
 * this program in its batch mode: see the end.) */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "pretok.h"
#include "tok_int.h"
#include "unicode_tab.h"
#include "util.h"

#include <jansson.h>
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
	ck_assert_str_eq(uni_version, "Oniguruma 6.9.8");
}
END_TEST


/* ---------------------------------------------------------------- the GPT-2 fast path
 * pretok.c must split exactly as Oniguruma runs GPT-2's pattern. */

static void fast_vs_regex(const tok_re *re, const char *s, size_t n)
{
	tok_spans sp = {0};
	char msg[256];
	ck_assert_msg(tok_re_split(re, s, n, 0, &sp, msg, sizeof msg) == 0, "%s", msg);
	size_t k = 0, i = 0;
	for (size_t j = 0; j < sp.n; j++) {
		if (sp.p[j].a == sp.p[j].b)
			continue;
		ck_assert_msg(sp.p[j].match, "the pattern left a gap at byte %zu", sp.p[j].a);
		size_t e = pretok_next((const unsigned char *)s, n, i);
		if (e != sp.p[j].b || sp.p[j].a != i) {
			uint32_t cp;
			tok_char((const unsigned char *)s + i, n - i, &cp);
			ck_abort_msg("piece %zu at byte %zu (U+%04X): fast path ends at %zu, the regex at %zu", k, i,
			             (unsigned)cp, e, sp.p[j].b);
		}
		i = e;
		k++;
	}
	ck_assert_uint_eq(i, n);
	tok_spans_free(&sp);
}

START_TEST(fast_path_matches_regex)
{
	tok_re re;
	char msg[256];
	ck_assert_msg(tok_re_compile(&re, tok_gpt2_pattern, strlen(tok_gpt2_pattern), msg, sizeof msg) == 0, "%s", msg);
	/* every code point (escaped bytes too), each between neighbours of
	 * every class */
	static const char *const nb[] = {"a", "1", " ", "!", "  ", "'s", "\n", "x ", " 2"};
	tbuf text = {0};
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff && !tok_is_escape(cp))
			continue;
		if (cp > 0x40000 && !(cp >= 0xe0000 && cp <= 0xe01ff) && cp % 61)
			continue; /* planes 4-16, mostly unassigned or private: a sample */
		tok_put_cp(&text, cp);
		tbuf_add(&text, nb[cp % 9], strlen(nb[cp % 9]));
	}
	ck_assert(!text.oom);
	fast_vs_regex(&re, text.p, text.n);
	tbuf_free(&text);
	/* random strings of letters, numbers, marks, spaces, apostrophes */
	static const char *const parts[] = {"a", "Z", "\xc3\xa9", "\xe6\x97\xa5", "7", "\xd9\xa3", "\xc2\xbd", " ", "  ",
	                                    "\t", "\n", "\r\n", "\xc2\xa0", "\xe3\x80\x80", "'", "'s", "'S", "'ll", "'re",
	                                    "!", "?", "\xcc\x81", "\xf0\x9f\x98\x80", "\xe2\x80\x8d", "_", "\xed\xb3\xbf"};
	uint32_t seed = 5;
	for (int round = 0; round < 3000; round++) {
		char buf[512];
		size_t n = 0;
		int len = 1 + round % 40;
		for (int i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = parts[(seed >> 8) % (sizeof parts / sizeof parts[0])];
			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
		fast_vs_regex(&re, buf, n);
	}
	tok_re_free(&re);
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
		"\"trim_offsets\":true,\"use_regex\":true},\"decoder\":{\"type\":\"ByteLevel\"},"
		"\"model\":{\"type\":\"BPE\",\"dropout\":null,"
		"\"vocab\":%s,\"merges\":[%s]}}", 256 + nm, v.p, ml.p ? ml.p : "");
	snprintf(path, sizeof path, "%s/tokenizer.json", dir);
	tu_write(path, j, strlen(j), 0);
	free(j);
	sb_free(&v);
	sb_free(&m);
	sb_free(&ml);
}

/* The tokenizer of folder dir: its vocab.json + merges.txt ("files") or
 * its tokenizer.json. */
static saex_tok *load_dir(const char *which, const char *dir)
{
	char err[SAEX_ERR_LEN], v[1024], m[1024];
	snprintf(v, sizeof v, "%s/vocab.json", dir);
	snprintf(m, sizeof m, "%s/merges.txt", dir);
	saex_tok *t;
	if (strcmp(which, "files") == 0) {
		t = saex_tok_load_files(v, m, err, sizeof err);
	} else {
		snprintf(v, sizeof v, "%s/tokenizer.json", dir);
		t = saex_tok_load_json(v, err, sizeof err);
	}
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

static saex_tok *load_tiny(const char *which)
{
	const char *dir = tu_path("tiny");
	write_vocab(dir, tiny_merges, TINY_N, 0);
	return load_dir(which, dir);
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
	/* a special token in the text is that token, as in tokenizers */
	check_ids(t, "<|endoftext|>", 13, 0, IDS(TINY_EOT));
	check_ids(t, "hello<|endoftext|> world", 24, 0, IDS(259, TINY_EOT, 264));
	check_ids(t, "<|endoftext", 11, 0, IDS('<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't'));
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

/* The entries in the load cache's folder: their number, and the one file
 * name when there is one (into one, 4096 bytes). */
static int cache_entries(const char *cache, char *one)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "ls '%s/tokenizers' 2>/dev/null", cache);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	int n = 0;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (n++ == 0 && one)
			snprintf(one, 4096, "%s/tokenizers/%s", cache, line);
	}
	pclose(f);
	return n;
}

/* The load cache gives the tokenizer its sources give: the first load
 * writes an entry, the next reads it; a damaged or cut entry is passed
 * over (and written again); an edited source is read again, not answered
 * from the old entry; no cache, or one that cannot be written, changes
 * nothing. */
static void cache_round(const char *which)
{
	char *cache = xstrdup(tu_path(which[0] == 'f' ? "cache-files" : "cache-json"));
	char *dir = xstrdup(tu_path(which[0] == 'f' ? "src-files" : "src-json"));
	char entry[4096];
	setenv("SAEX_CACHE_DIR", cache, 1);
	unsetenv("SAEX_NO_CACHE");
	write_vocab(dir, tiny_merges, TINY_N, 0);
	ck_assert_int_eq(cache_entries(cache, NULL), 0);

	saex_tok *t = load_dir(which, dir); /* from the sources: the entry written */
	tiny_checks(t);
	saex_tok_free(t);
	ck_assert_int_eq(cache_entries(cache, entry), 1);
	size_t n0;
	char *good = tu_read(entry, &n0);
	ck_assert(good && n0 > 104);

	t = load_dir(which, dir); /* from the entry: its tables where they lie */
	ck_assert_ptr_nonnull(t->cache_map);
	ck_assert(t->vocab.borrowed && t->bpe.borrowed);
	tiny_checks(t);
	/* a token added afterwards: the tables are copied out first, and the
	 * tokenizer is the same */
	char msg[128];
	uint32_t nid = t->vocab.nid;
	ck_assert_int_eq(tok_vocab_set(&t->vocab, nid + 100, "zz", 2, TOK_F_MODEL, 0, msg, sizeof msg), 0);
	ck_assert(!t->vocab.borrowed);
	ck_assert_int_eq(tok_vocab_find(&t->vocab, "zz", 2), nid + 100);
	check_ids(t, "hello world", 11, 0, IDS(259, 264));
	saex_tok_free(t);

	/* a byte changed in each part of the entry, then the entry cut short:
	 * each time the same tokenizer, and the entry written again whole */
	size_t at[] = {110, n0 / 3, n0 / 2, n0 - 2};
	for (size_t i = 0; i <= sizeof at / sizeof at[0]; i++) {
		char *bad = xmalloc(n0);
		memcpy(bad, good, n0);
		size_t bn = n0;
		if (i < sizeof at / sizeof at[0])
			bad[at[i]] ^= 0x40;
		else
			bn = n0 - 7;
		tu_write(entry, bad, bn, 0);
		free(bad);
		t = load_dir(which, dir);
		tiny_checks(t);
		saex_tok_free(t);
		size_t n1;
		char *again = tu_read(entry, &n1);
		ck_assert_msg(n1 == n0 && memcmp(again, good, n0) == 0, "damage %zu: the entry was not written again", i);
		free(again);
	}

	/* an edited source: the last merge (c3 a9) gone, so é stays two bytes */
	write_vocab(dir, tiny_merges, TINY_N - 1, 0);
	t = load_dir(which, dir);
	check_ids(t, "caf\xc3\xa9", 5, 0, IDS('c', 'a', 'f', 0xc3, 0xa9));
	saex_tok_free(t);
	ck_assert_int_eq(cache_entries(cache, NULL), 2);

	/* a cache folder that cannot be made (under a file), or none at all */
	write_vocab(dir, tiny_merges, TINY_N, 0);
	setenv("SAEX_CACHE_DIR", entry, 1);
	t = load_dir(which, dir);
	tiny_checks(t);
	saex_tok_free(t);
	setenv("SAEX_CACHE_DIR", cache, 1);
	setenv("SAEX_NO_CACHE", "1", 1);
	write_vocab(dir, tiny_merges, TINY_N - 2, 0);
	t = load_dir(which, dir);
	check_ids(t, "caf\xc3\xa9", 5, 0, IDS('c', 'a', 'f', 0xc3, 0xa9));
	saex_tok_free(t);
	ck_assert_int_eq(cache_entries(cache, NULL), 2);
	unsetenv("SAEX_NO_CACHE");
	free(good);
	free(cache);
	free(dir);
}

START_TEST(tok_load_cache)
{
	cache_round("json");
	cache_round("files");
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
	saex_tok *t = saex_tok_load(dir, err, sizeof err); /* its tokenizer.json */
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
	snprintf(path, sizeof path, "%s/tokenizer.json", dir);
	remove(path); /* it would be read first */
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	char *vocab = tu_read(path, &vn);
	/* merges that name a token the vocabulary lacks */
	const char *m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nqq z\nzz z\n");
	tok_bad_dir(dir, (const char *[]){m, "line 3", "merge 'qq z': 'qq' is not in the vocabulary", NULL});
	m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nh l\n");
	tok_bad_dir(dir, (const char *[]){m, "line 3", "makes 'hl', which is not in the vocabulary", NULL});
	m = file_in(dir, "merges.txt", "#version: 0.2\nh e\nhello\n");
	tok_bad_dir(dir, (const char *[]){m, "line 3: a merge is two tokens separated by one space", NULL});
	m = file_in(dir, "merges.txt", "h e x\n");
	tok_bad_dir(dir, (const char *[]){m, "line 1:", NULL});
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
	tok_bad_dir(dir, (const char *[]){v, "id 7 is given to another token", NULL});
	v = file_in(dir, "vocab.json", "{\"h\": 7, \"h\": 8}");
	tok_bad_dir(dir, (const char *[]){v, "duplicate", NULL});
	tu_write(path, vocab, vn, 0);
	/* missing pieces */
	snprintf(path, sizeof path, "%s/merges.txt", dir);
	remove(path);
	tok_bad_dir(dir, (const char *[]){dir, "no tokenizer here", NULL});
	tok_bad_dir(tu_path("nowhere"), (const char *[]){"nowhere", "No such file", NULL});
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	tok_bad_dir(path, (const char *[]){path, "not a folder", NULL});
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
	ck_assert_msg(strstr(err, "model.merges[0]: not \"a b\" or [\"a\", \"b\"]"), "%s", err);
	sb_free(&bad);
	free(text);
	free(vocab);
}
END_TEST

/* ---------------------------------------------------------------- the pipeline on hand-made tokenizer.json
 * Each tokenizer is small and made here; the ids expected were worked out
 * by hand from tokenizers' rules, and tests/tokenizer.test checks each of
 * them against Hugging Face tokenizers itself when npm is at hand (this
 * suite writes them out when SAEX_TOK_CASES names a folder). */

static int mk_count;

/* The members tokenizers requires that saex takes as optional: every
 * field of an added token, ByteLevel's three switches. */
static void fill_defaults(json_t *v)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			fill_defaults(x);
		return;
	}
	if (!json_is_object(v))
		return;
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
		fill_defaults(x);
	const char *type = json_string_value(json_object_get(v, "type"));
	if (type && strcmp(type, "ByteLevel") == 0) {
		static const char *const keys[] = {"add_prefix_space", "trim_offsets", "use_regex"};
		for (int i = 0; i < 3; i++)
			if (!json_object_get(v, keys[i]))
				json_object_set_new(v, keys[i], json_boolean(i > 0));
	}
	if (json_object_get(v, "content") && json_object_get(v, "id") && !type) { /* an added token */
		int special = json_is_true(json_object_get(v, "special"));
		static const char *const keys[] = {"single_word", "lstrip", "rstrip", "special"};
		for (int i = 0; i < 4; i++)
			if (!json_object_get(v, keys[i]))
				json_object_set_new(v, keys[i], json_false());
		if (!json_object_get(v, "normalized"))
			json_object_set_new(v, "normalized", json_boolean(!special));
	}
}

/* A tokenizer.json: vocab is a JSON array of token strings (id = place),
 * merges a JSON array, model_extra more members of "model" (or ""), rest
 * more members of the root (or ""). Loaded; the file stays for messages. */
static saex_tok *mk(const char *vocab, const char *merges, const char *model_extra, const char *rest, char **path)
{
	json_error_t je;
	json_t *arr = json_loads(vocab, 0, &je);
	ck_assert_msg(json_is_array(arr), "test vocab: %s", je.text);
	json_t *obj = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		json_object_set_new(obj, json_string_value(v), json_integer((json_int_t)i));
	char *vj = json_dumps(obj, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	char *raw = xasprintf("{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":%s%s%s}%s%s}", vj,
	                      merges, *model_extra ? "," : "", model_extra, *rest ? "," : "", rest);
	json_t *doc = json_loads(raw, 0, &je);
	ck_assert_msg(doc != NULL, "test tokenizer.json: %s\n%s", je.text, raw);
	fill_defaults(doc);
	char *text = json_dumps(doc, JSON_PRESERVE_ORDER);
	json_decref(doc);
	free(raw);
	char name[64];
	snprintf(name, sizeof name, "mk%d.json", mk_count++);
	*path = xstrdup(tu_path(name));
	tu_write(*path, text, strlen(text), 0);
	const char *dump = getenv("SAEX_TOK_CASES");
	if (dump && *dump) {
		char *d = xasprintf("%s/%s", dump, name);
		tu_write(d, text, strlen(text), 0);
		free(d);
	}
	char err[SAEX_ERR_LEN];
	saex_tok *t = saex_tok_load_json(*path, err, sizeof err);
	ck_assert_msg(t != NULL, "%s\n%s", err, text);
	free(vj);
	json_decref(obj);
	json_decref(arr);
	free(text);
	return t;
}

/* Appends a line to SAEX_TOK_CASES/name when that is set. */
static void dump_line(const char *name, const char *line)
{
	const char *dump = getenv("SAEX_TOK_CASES");
	if (!dump || !*dump)
		return;
	char *f = xasprintf("%s/%s", dump, name);
	FILE *fp = fopen(f, "a");
	ck_assert_ptr_nonnull(fp);
	fputs(line, fp);
	fclose(fp);
	free(f);
}

/* ids as "1,2,3" */
static char *ids_str(const uint32_t *ids, size_t n)
{
	sb b = {0};
	for (size_t i = 0; i < n; i++)
		sb_printf(&b, "%s%u", i ? "," : "", ids[i]);
	return b.p ? b.p : xstrdup("");
}

/* The ids of text (n bytes) must be want; with SAEX_TOK_CASES set the case
 * is written out for the reference (rust: whether tokenizers must give the
 * same; the BOS saex adds where the post-processor adds none is saex's). */
static void expect_n(saex_tok *t, const char *path, const char *text, size_t n, unsigned flags, const char *want,
                     int rust)
{
	uint32_t *ids;
	size_t k;
	char err[SAEX_ERR_LEN];
	ck_assert_msg(saex_tok_encode_ids(t, text, n, flags, &ids, &k, err, sizeof err) == 0, "%s", err);
	char *got = ids_str(ids, k);
	char *esc = saex_escape(text, n, 0);
	ck_assert_msg(strcmp(got, want) == 0, "%s: '%s': got [%s] want [%s]", path, esc, got, want);
	if (rust) {
		sb l = {0};
		sb_printf(&l, "%s\t%u\t", strrchr(path, '/') + 1, flags);
		for (size_t i = 0; i < n; i++)
			sb_printf(&l, "%02x", (unsigned char)text[i]);
		sb_printf(&l, "\t%s\n", want);
		dump_line("cases.tsv", l.p);
		sb_free(&l);
	}
	free(esc);
	free(got);
	free(ids);
}

static void expect(saex_tok *t, const char *path, const char *text, unsigned flags, const char *want)
{
	expect_n(t, path, text, strlen(text), flags, want, 1);
}

/* decode(ids) of the tokenizer in path must be want; rust: tokenizers
 * must give the same (not where saex keeps bytes that are not UTF-8) */
static void expect_text_r(saex_tok *t, const char *path, const char *ids, const char *want, int rust)
{
	uint32_t v[64];
	size_t n = 0;
	for (const char *p = ids; *p; p++) {
		v[n++] = (uint32_t)strtoul(p, (char **)&p, 10);
		if (!*p)
			break;
	}
	size_t len;
	char *got = saex_tok_decode(t, v, n, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0, "decode %s: got '%s' want '%s'", ids, got,
	              want);
	free(got);
	if (rust) {
		sb l = {0};
		sb_printf(&l, "%s\t%s\t", strrchr(path, '/') + 1, ids);
		for (size_t i = 0; want[i]; i++)
			sb_printf(&l, "%02x", (unsigned char)want[i]);
		sb_addc(&l, '\n');
		dump_line("decode.tsv", l.p);
		sb_free(&l);
	}
}

static void expect_text(saex_tok *t, const char *path, const char *ids, const char *want)
{
	expect_text_r(t, path, ids, want, 1);
}

/* The lowercase letters, the space and a few more as single characters. */
#define CHARS "\"a\",\"b\",\"c\",\"d\",\"e\",\"h\",\"i\",\"o\",\"s\",\"t\",\"x\",\"y\"," \
	"\" \",\"-\",\"<\",\">\",\"/\",\"!\",\",\",\"1\",\"2\",\"3\""
/* ids of the above: a0 b1 c2 d3 e4 h5 i6 o7 s8 t9 x10 y11 sp12 -13 <14 >15 /16 !17 ,18 1:19 2:20 3:21 */

START_TEST(pipe_added_tokens)
{
	char *p;
	/* leftmost first, then the longest there; a refused single_word match
	 * still moves the scan past it */
	saex_tok *t = mk("[" CHARS "]", "[]", "",
	                 "\"added_tokens\":["
	                 "{\"id\":22,\"content\":\"<s>\",\"special\":true,\"normalized\":false},"
	                 "{\"id\":23,\"content\":\"<s></s>\",\"special\":false,\"normalized\":false},"
	                 "{\"id\":24,\"content\":\"s>\",\"special\":false,\"normalized\":false},"
	                 "{\"id\":25,\"content\":\"hi\",\"single_word\":true,\"normalized\":false}]", &p);
	expect(t, p, "a<s></s>b<s>s>", 0, "0,23,1,22,24");
	expect(t, p, "hi ahi hia hi", 0, "25,12,0,5,6,12,5,6,0,12,25");
	expect(t, p, "<s", 0, "14,8");
	expect(t, p, "", 0, "");
	ck_assert(saex_tok_is_special(t, 22) && !saex_tok_is_special(t, 23) && !saex_tok_is_special(t, 0));
	expect_text(t, p, "0,23,22", "a <s></s> <s>"); /* no decoder: tokens joined by spaces */
	saex_tok_free(t);
	free(p);
	/* lstrip and rstrip take the white space around the token */
	t = mk("[" CHARS "]", "[]", "",
	       "\"added_tokens\":[{\"id\":22,\"content\":\"<m>\",\"lstrip\":true,\"rstrip\":true,\"normalized\":false},"
	       "{\"id\":17,\"content\":\"!\",\"rstrip\":true,\"normalized\":false}]", &p); /* ! keeps its id */
	expect(t, p, "a  <m>  b", 0, "0,22,1");
	expect(t, p, "a !  b ! ", 0, "0,12,17,1,12,17");
	saex_tok_free(t);
	free(p);
	/* normalized tokens match after the normalizer, the others before */
	t = mk("[" CHARS "]", "[]", "",
	       "\"normalizer\":{\"type\":\"Lowercase\"},"
	       "\"added_tokens\":[{\"id\":22,\"content\":\"HI\",\"normalized\":false},"
	       "{\"id\":23,\"content\":\"Yo\",\"normalized\":true}]", &p);
	expect(t, p, "HI YO hi yo Hi", 0, "22,12,23,12,5,6,12,23,12,5,6");
	saex_tok_free(t);
	free(p);
}
END_TEST

START_TEST(pipe_normalizers)
{
	char *p;
	/* NFC composes, NFKC folds compatibility forms, Lowercase is full
	 * lowercase (U+0130 gives two characters) */
	saex_tok *t = mk("[" CHARS ",\"\\u00e9\",\"e\\u0301\",\"f\",\"\\u0307\",\"\\u00e0\"]", "[]", "",
	                 "\"normalizer\":{\"type\":\"NFC\"}", &p);
	expect(t, p, "e\xcc\x81", 0, "22");
	expect(t, p, "\xc3\xa9", 0, "22");
	saex_tok_free(t);
	free(p);
	t = mk("[" CHARS ",\"\\u00e9\",\"e\\u0301\",\"f\",\"\\u0307\",\"\\u00e0\",\"\\u0301\"]", "[]", "",
	       "\"normalizer\":{\"type\":\"NFD\"}", &p);
	expect(t, p, "\xc3\xa9", 0, "4,27");  /* é -> e + U+0301: no merge makes them one token */
	saex_tok_free(t);
	free(p);
	t = mk("[" CHARS ",\"\\u00e9\",\"e\\u0301\",\"f\",\"\\u0307\",\"\\u00e0\",\"\\u0301\"]", "[]", "",
	       "\"normalizer\":{\"type\":\"NFKC\"}", &p);
	expect(t, p, "\xef\xac\x81 \xe2\x91\xa0", 0, "24,6,12,19"); /* ﬁ ① -> fi 1 */
	saex_tok_free(t);
	free(p);
	t = mk("[" CHARS ",\"\\u00e9\",\"e\\u0301\",\"f\",\"\\u0307\",\"\\u00e0\"]", "[]", "",
	       "\"normalizer\":{\"type\":\"Lowercase\"}", &p);
	expect(t, p, "\xc3\x80" "B\xc3\x89", 0, "26,1,22");
	expect(t, p, "\xc4\xb0", 0, "6,25"); /* İ -> i + U+0307 */
	saex_tok_free(t);
	free(p);
	/* Replace (string, regex), Prepend (not on empty text), Strip, Sequence */
	t = mk("[" CHARS ",\"\\u2581\"]", "[]", "",
	       "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":["
	       "{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":false},"
	       "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"content\":\" \"},"
	       "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\\u2581\"},"
	       "{\"type\":\"Prepend\",\"prepend\":\"\\u2581\"}]}", &p);
	expect(t, p, "  a \t\n b ", 0, "22,0,22,1,22");
	expect(t, p, "", 0, "");
	expect(t, p, "   ", 0, "");
	saex_tok_free(t);
	free(p);
}
END_TEST

/* A vocabulary in which the pieces show: ignore_merges gives a whole
 * piece that is a token its id. */
#define PIECES CHARS ",\"a-\",\"b-\",\"-c\",\"-b\",\"--\",\"123\",\"\\u2581\",\"\\u2581hi\",\"\\u2581a\",\"hi\",\"\\u0120\"," \
	"\"\\u0120hi\",\"hi\\u0120there\",\"there\",\"\\u2581there\",\"hi\\u2581there\",\"\\u0120there\""
/* a- 22, b- 23, -c 24, -b 25, -- 26, 123 27, ▁ 28, ▁hi 29, ▁a 30, hi 31, Ġ 32, Ġhi 33, hiĠthere 34,
 * there 35, ▁there 36, hi▁there 37, Ġthere 38 */

static saex_tok *mk_pre(const char *pre, char **p)
{
	char *rest = xasprintf("\"pre_tokenizer\":%s", pre);
	saex_tok *t = mk("[" PIECES "]", "[]", "\"ignore_merges\":true", rest, p);
	free(rest);
	return t;
}

START_TEST(pipe_split_behaviors)
{
	static const char *const cases[][2] = {
		{"Isolated", "0,13,1,13,13,2"},
		{"Removed", "0,1,2"},
		{"MergedWithPrevious", "22,23,13,2"},
		{"MergedWithNext", "0,25,13,24"},
		{"Contiguous", "0,13,1,26,2"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p;
		char *pre = xasprintf("{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"%s\",\"invert\":false}",
		                      cases[i][0]);
		saex_tok *t = mk_pre(pre, &p);
		expect(t, p, "a-b--c", 0, cases[i][1]);
		saex_tok_free(t);
		free(pre);
		free(p);
	}
	/* invert: the matches are the pieces kept apart; with Removed the gaps go */
	char *p;
	saex_tok *t = mk_pre("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"[a-z]+\"},\"behavior\":\"Removed\",\"invert\":true}",
	                     &p);
	expect(t, p, "hi, a-b!", 0, "31,0,1");
	saex_tok_free(t);
	free(p);
	/* a regex that matches empty strings: each character apart */
	t = mk_pre("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"x*\"},\"behavior\":\"Isolated\",\"invert\":false}", &p);
	expect(t, p, "hixxhi", 0, "5,6,10,10,5,6");
	saex_tok_free(t);
	free(p);
}
END_TEST

START_TEST(pipe_pre_tokenizers)
{
	char *p;
	/* Metaspace: spaces become ▁, one prepended, split before each ▁ */
	saex_tok *t = mk_pre("{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"always\",\"split\":true}", &p);
	expect(t, p, "hi there", 0, "29,36");
	expect(t, p, " hi", 0, "29");
	expect(t, p, "hi  a", 0, "29,28,30");
	saex_tok_free(t);
	free(p);
	t = mk_pre("{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"never\",\"split\":false}", &p);
	expect(t, p, "hi there", 0, "37");
	saex_tok_free(t);
	free(p);
	/* "first": only the piece that starts the text (not after an added token) */
	t = mk("[" PIECES "]", "[]", "\"ignore_merges\":true",
	       "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"first\","
	       "\"split\":true},\"added_tokens\":[{\"id\":39,\"content\":\"<s>\",\"special\":true,\"normalized\":false}]",
	       &p);
	expect(t, p, "hi<s>hi", 0, "29,39,31");
	saex_tok_free(t);
	free(p);
	/* Digits, Whitespace, WhitespaceSplit */
	t = mk_pre("{\"type\":\"Digits\",\"individual_digits\":false}", &p);
	expect(t, p, "a123b", 0, "0,27,1");
	saex_tok_free(t);
	free(p);
	t = mk_pre("{\"type\":\"Digits\",\"individual_digits\":true}", &p);
	expect(t, p, "a123b", 0, "0,19,20,21,1");
	saex_tok_free(t);
	free(p);
	t = mk_pre("{\"type\":\"Whitespace\"}", &p);
	expect(t, p, "hi,  there!", 0, "31,18,35,17");
	saex_tok_free(t);
	free(p);
	t = mk_pre("{\"type\":\"WhitespaceSplit\"}", &p);
	expect(t, p, " hi,  a! ", 0, "5,6,18,0,17");
	saex_tok_free(t);
	free(p);
	/* ByteLevel: with a prefix space, without its regex; Sequence */
	t = mk_pre("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}", &p);
	expect(t, p, "hi there", 0, "33,38");
	expect(t, p, " hi", 0, "33");
	saex_tok_free(t);
	free(p);
	/* ... and after an added token too: tokenizers pre-tokenizes each
	 * piece between added tokens alone (fuzz/regress/tokenizer) */
	t = mk("[" PIECES "]", "[]", "\"ignore_merges\":true",
	       "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true},"
	       "\"added_tokens\":[{\"id\":39,\"content\":\"<s>\",\"special\":true,\"normalized\":true}]", &p);
	expect(t, p, "hi<s>hi", 0, "33,39,33");
	expect(t, p, " hi<s> hi", 0, "33,39,33");
	saex_tok_free(t);
	free(p);
	t = mk_pre("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"String\":\",\"},"
	           "\"behavior\":\"Removed\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
	           "\"use_regex\":false}]}", &p);
	expect(t, p, "hi there,hi", 0, "34,31");
	saex_tok_free(t);
	free(p);
}
END_TEST

START_TEST(pipe_bpe_model)
{
	char *p;
	/* byte_fallback spells an unknown character in <0xXX> tokens; one with
	 * a byte missing is unk (runs fused with fuse_unk) */
	saex_tok *t = mk("[\"<unk>\",\"a\",\"b\",\"ab\",\"<0xC3>\",\"<0xA9>\",\"<0xE2>\"]", "[\"a b\"]",
	                 "\"byte_fallback\":true,\"unk_token\":\"<unk>\",\"fuse_unk\":true", "", &p);
	expect(t, p, "ab\xc3\xa9" "a", 0, "3,4,5,1");
	expect(t, p, "a\xe2\x82\xac\xe2\x82\xac" "b", 0, "1,0,2");
	expect(t, p, "\xe2\x82\xac\xc3\xa9\xe2\x82\xac", 0, "4,5,0"); /* tokenizers puts the pending unk after */
	saex_tok_free(t);
	free(p);
	t = mk("[\"<unk>\",\"a\",\"b\",\"ab\"]", "[[\"a\",\"b\"]]", "\"unk_token\":\"<unk>\",\"fuse_unk\":false", "", &p);
	expect(t, p, "a\xc3\xa9\xc3\xa9" "b", 0, "1,0,0,2");
	expect(t, p, "abab", 0, "3,3");
	saex_tok_free(t);
	free(p);
	/* no unk token: unknown characters vanish, as in tokenizers */
	t = mk("[\"a\",\"b\"]", "[]", "", "", &p);
	expect(t, p, "a?b", 0, "0,1");
	saex_tok_free(t);
	free(p);
	/* merges by rank, not by place; ignore_merges takes a whole word */
	t = mk("[\"a\",\"b\",\"c\",\"ab\",\"bc\",\"abc\",\"ca\"]", "[\"b c\",\"a b\",\"a bc\"]", "", "", &p);
	expect(t, p, "abc", 0, "5");
	expect(t, p, "abab", 0, "3,3");
	expect(t, p, "ca", 0, "2,0");
	saex_tok_free(t);
	free(p);
	t = mk("[\"a\",\"b\",\"c\",\"ab\",\"bc\",\"abc\",\"ca\"]", "[\"b c\",\"a b\",\"a bc\"]", "\"ignore_merges\":true", "",
	       &p);
	expect(t, p, "ca", 0, "6");
	saex_tok_free(t);
	free(p);
}
END_TEST

START_TEST(pipe_post_and_bos)
{
	char *p;
	/* TemplateProcessing: specials around the sequence, only when asked */
	saex_tok *t = mk("[\"a\",\"b\",\"<s>\",\"</s>\"]", "[]", "",
	                 "\"added_tokens\":[{\"id\":2,\"content\":\"<s>\",\"special\":true,\"normalized\":false},"
	                 "{\"id\":3,\"content\":\"</s>\",\"special\":true,\"normalized\":false}],"
	                 "\"post_processor\":{\"type\":\"Sequence\",\"processors\":[{\"type\":\"ByteLevel\"},"
	                 "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
	                 "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
	                 "\"pair\":[],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[2],\"tokens\":[\"<s>\"]},"
	                 "\"</s>\":{\"id\":\"</s>\",\"ids\":[3],\"tokens\":[\"</s>\"]}}}]}", &p);
	expect(t, p, "ab", SAEX_TOK_SPECIAL, "2,0,1,3");
	expect(t, p, "ab", 0, "0,1");
	expect(t, p, "", SAEX_TOK_SPECIAL, "2,3");
	ck_assert_int_eq(saex_tok_bos(t), 2);
	saex_tok_free(t);
	free(p);
	/* no template: the BOS (<|endoftext|>) first, as TransformerLens */
	t = mk("[\"a\",\"<|endoftext|>\"]", "[]", "",
	       "\"added_tokens\":[{\"id\":1,\"content\":\"<|endoftext|>\",\"special\":true,\"normalized\":false}]", &p);
	expect_n(t, p, "a", 1, SAEX_TOK_SPECIAL, "1,0", 0);
	ck_assert_int_eq(saex_tok_bos(t), 1);
	saex_tok_free(t);
	free(p);
	t = mk("[\"a\"]", "[]", "", "", &p);
	expect(t, p, "a", SAEX_TOK_SPECIAL, "0");
	ck_assert_int_eq(saex_tok_bos(t), -1);
	saex_tok_free(t);
	free(p);
}
END_TEST

START_TEST(pipe_decoders)
{
	char *p;
	/* Gemma's: Replace ▁ -> space, ByteFallback, Fuse */
	saex_tok *t = mk("[\"<unk>\",\"\\u2581hi\",\"<0xC3>\",\"<0xA9>\",\"\\u2581\",\"<0xFF>\"]", "[]",
	                 "\"byte_fallback\":true,\"unk_token\":\"<unk>\"",
	                 "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":"
	                 "\"\\u2581\"},\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"}]}", &p);
	expect_text(t, p, "1,2,3,4", " hi\xc3\xa9 ");
	expect_text_r(t, p, "5,1", "\xff hi", 0); /* tokenizers gives U+FFFD: saex keeps the byte */
	size_t len;
	const char *b = saex_tok_bytes(t, 2, &len);
	ck_assert(len == 1 && (unsigned char)b[0] == 0xc3);
	saex_tok_free(t);
	free(p);
	/* Metaspace drops the first token's ▁; Strip cuts characters */
	t = mk("[\"\\u2581hi\",\"\\u2581there\",\"xxhixx\"]", "[]", "",
	       "\"decoder\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"always\",\"split\":true}",
	       &p);
	expect_text(t, p, "0,1", "hi there");
	expect_text(t, p, "1,0", "there hi");
	b = saex_tok_bytes(t, 0, &len); /* alone, as if inside a text: the space stays */
	ck_assert(len == 3 && memcmp(b, " hi", 3) == 0);
	saex_tok_free(t);
	free(p);
	t = mk("[\"\\u2581hi\",\"\\u2581there\",\"xxhixx\"]", "[]", "",
	       "\"decoder\":{\"type\":\"Strip\",\"content\":\"x\",\"start\":1,\"stop\":3}", &p);
	expect_text(t, p, "2", "xhi");
	saex_tok_free(t);
	free(p);
	/* ByteLevel: characters back to bytes */
	t = mk("[\"\\u0120hi\",\"\\u010a\",\"\\u00c3\\u00a9\",\"<x>\"]", "[]", "", "\"decoder\":{\"type\":\"ByteLevel\"}", &p);
	expect_text(t, p, "0,1,2,3", " hi\n\xc3\xa9<x>");
	saex_tok_free(t);
	free(p);
}
END_TEST

/* Spellings as Neuronpedia's exports make them. */
START_TEST(pipe_spelling)
{
	char *p;
	saex_tok *t = mk("[\"\\u0120world\",\"\\u010a\\u010a\",\"\\u0109x\",\"\\u00e2\\u0122\\u0136\",\"\\u2581of\","
	                 "\"\\u00c3\\u00a9\",\"<bos>\"]", "[]", "", "", &p);
	static const char *const want[] = {" world", "\n\n", "\tx", "\xe2\x80\x94", "\xe2\x96\x81of", "\xc3\x83\xc2\xa9",
	                                   "<bos>"};
	for (uint32_t i = 0; i < 7; i++) {
		size_t len;
		char *s = saex_tok_token_text(t, i, &len);
		ck_assert_msg(s && len == strlen(want[i]) && memcmp(s, want[i], len) == 0, "token %u: '%s'", i, s);
		free(s);
	}
	ck_assert_ptr_null(saex_tok_token_text(t, 7, NULL));
	saex_tok_free(t);
	free(p);
}
END_TEST

/* ---------------------------------------------------------------- tokenizer.json errors
 * Each a clear message naming the file and the place of the fault. */

/* A minimal valid tokenizer.json with one member replaced or added:
 * member is the JSON text of "key":value pairs put last (later keys win
 * in saex's checks only when the base lacks them, so bases omit them). */
static void bad_json(const char *json, const char *const *want)
{
	const char *path = tu_path("bad-tokenizer.json");
	tu_write(path, json, strlen(json), 0);
	char err[SAEX_ERR_LEN] = "";
	saex_tok *t = saex_tok_load_json(path, err, sizeof err);
	ck_assert_msg(t == NULL, "loaded: %s", json);
	ck_assert_msg(strstr(err, path) != NULL, "message '%s' lacks the file", err);
	for (const char *const *w = want; *w; w++)
		ck_assert_msg(strstr(err, *w), "message '%s' lacks '%s'", err, *w);
}

#define BASE_MODEL "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}"
#define W(...) (const char *[]){__VA_ARGS__, NULL}

START_TEST(json_errors)
{
	/* components saex does not run: refused by name and place */
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\"},"
	         "{\"type\":\"UnicodeScripts\"}]}}",
	         W("pre_tokenizer.pretokenizers[1]: type 'UnicodeScripts' is not supported"));
	bad_json("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", W("model: type 'Unigram' is not supported"));
	bad_json("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", W("model: type 'WordPiece' is not supported"));
	bad_json("{" BASE_MODEL ",\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFC\"},"
	         "{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"\"}]}}",
	         W("normalizer.normalizers[1]: type 'Precompiled' is not supported"));
	bad_json("{" BASE_MODEL ",\"normalizer\":{\"type\":\"BertNormalizer\"}}", W("normalizer: type 'BertNormalizer'"));
	bad_json("{" BASE_MODEL ",\"post_processor\":{\"type\":\"RobertaProcessing\"}}",
	         W("post_processor: type 'RobertaProcessing' is not supported"));
	bad_json("{" BASE_MODEL ",\"decoder\":{\"type\":\"WordPiece\"}}", W("decoder: type 'WordPiece' is not supported"));
	bad_json("{" BASE_MODEL ",\"decoder\":{\"types\":\"ByteLevel\"}}", W("decoder: no \"type\" string"));
	bad_json("{" BASE_MODEL ",\"truncation\":{\"max_length\":512}}", W("truncation: is set"));
	bad_json("{\"version\":\"2.0\"," BASE_MODEL "}", W("version: not \"1.0\""));
	/* regexes that do not compile */
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
	         "\"pattern\":{\"Regex\":\"(a|b\"},\"behavior\":\"Isolated\",\"invert\":false}]}}",
	         W("pre_tokenizer.pretokenizers[0].pattern: the regex does not compile", "parenthesis"));
	bad_json("{" BASE_MODEL ",\"normalizer\":{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"[z-a]\"},\"content\":\"\"}}",
	         W("normalizer.pattern: the regex does not compile"));
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Glob\":\"*\"},"
	         "\"behavior\":\"Isolated\",\"invert\":false}}", W("pre_tokenizer.pattern: not {\"String\""));
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},"
	         "\"behavior\":\"Sideways\",\"invert\":false}}", W("pre_tokenizer: behavior 'Sideways' is not"));
	/* merges naming unknown tokens, or making one */
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\",\"a zz\"]}}",
	         W("model.merges[1]: merge 'a zz': 'zz' is not in the vocabulary"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[[\"b\",\"a\"]]}}",
	         W("model.merges[0]: merge 'b a' makes 'ba', which is not in the vocabulary"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a  b\"]}}",
	         W("model.merges[0]: not \"a b\" or [\"a\", \"b\"]"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[[\"a\",\"b\",\"c\"]]}}",
	         W("model.merges[0]: not"));
	/* ids out of range, a 10^9-entry claim, ids given twice */
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":1000000000},\"merges\":[]}}",
	         W("model.vocab: token 'a' has id 1000000000, outside"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-3},\"merges\":[]}}", W("model.vocab: token 'a' has id -3"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}",
	         W("model.vocab: token 'b' (id 0): id 0 is given to another token already"));
	bad_json("{" BASE_MODEL ",\"added_tokens\":[{\"id\":1000000000,\"content\":\"<s>\",\"special\":true}]}",
	         W("added_tokens[0]: '<s>' has id 1000000000, but its place gives it 3"));
	bad_json("{" BASE_MODEL ",\"added_tokens\":[{\"id\":1,\"content\":\"a\",\"special\":true}]}",
	         W("added_tokens[0]: 'a' has id 1, but its place gives it 0"));
	bad_json("{" BASE_MODEL ",\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
	         "{\"id\":\"<s>\",\"type_id\":0}}],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1000000000]}}}}",
	         W("post_processor.single[0]: special token '<s>': ids[0] is not the id of a token"));
	bad_json("{" BASE_MODEL ",\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
	         "{\"id\":\"<s>\",\"type_id\":0}}],\"special_tokens\":{}}}",
	         W("post_processor.single[0]: special token '<s>' has no \"ids\""));
	bad_json("{" BASE_MODEL ",\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"Sequence\":"
	         "{\"id\":\"B\",\"type_id\":0}}]}}", W("post_processor.single[0]: sequence 'B'"));
	/* the wrong types */
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":[\"a\"],\"merges\":[]}}",
	         W("model.vocab: not a JSON object of token -> id"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"0\"},\"merges\":[]}}",
	         W("model.vocab: token 'a': the id is not an integer"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":{\"a\":\"b\"}}}", W("model.merges: not an array"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"byte_fallback\":\"yes\"}}",
	         W("model: byte_fallback is not true or false"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"unk_token\":\"<unk>\"}}",
	         W("model: unk_token '<unk>' is not in model.vocab"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"dropout\":0.1}}",
	         W("model: dropout is not supported"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"continuing_subword_prefix\":\"##\"}}",
	         W("model: continuing_subword_prefix '##' is not supported"));
	bad_json("{" BASE_MODEL ",\"added_tokens\":{\"a\":1}}", W("added_tokens: not an array"));
	bad_json("{" BASE_MODEL ",\"added_tokens\":[{\"id\":\"3\",\"content\":\"<s>\"}]}",
	         W("added_tokens[0]: id is not an integer"));
	bad_json("{" BASE_MODEL ",\"added_tokens\":[{\"id\":3,\"content\":7}]}", W("added_tokens[0]: content is not a string"));
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"ab\"}}",
	         W("pre_tokenizer: replacement is not one character"));
	bad_json("{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":{}}}",
	         W("pre_tokenizer: pretokenizers is not an array"));
	bad_json("{" BASE_MODEL ",\"decoder\":{\"type\":\"Strip\",\"content\":\" \",\"start\":-1,\"stop\":0}}",
	         W("decoder: start is not a whole number"));
	bad_json("{\"pre_tokenizer\":null}", W("model: missing or not a JSON object"));
	bad_json("[]", W("not a JSON object"));
	/* a chain too long to run */
	sb many = {0};
	sb_adds(&many, "{" BASE_MODEL ",\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[");
	for (int i = 0; i < 300; i++)
		sb_adds(&many, i ? ",{\"type\":\"Digits\"}" : "{\"type\":\"Digits\"}");
	sb_adds(&many, "]}}");
	bad_json(many.p, W("pre_tokenizer.pretokenizers[256]: more than 256 components in one chain"));
	sb_free(&many);
	/* a lone surrogate escape is no text */
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\\udc80\":0},\"merges\":[]}}",
	         W("model.vocab: a token that is not valid UTF-8"));
	/* truncated and broken files */
	bad_json("{" BASE_MODEL ",\"decoder\":{\"type\":\"ByteLe", W(":1: not valid JSON"));
	bad_json("", W("not valid JSON"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"a\":1},\"merges\":[]}}",
	         W("model.vocab: token 'a' (id 1): the token is there already with id 0"));
	bad_json("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"vocab\":{}}}", W("duplicate key 'vocab'"));
	bad_json("{" BASE_MODEL ",\"decoder\":null,\"decoder\":null}", W("duplicate key 'decoder'"));
}
END_TEST

/* ---------------------------------------------------------------- batch mode
 * check_tokenizer --encode DIR FLAGS [--roundtrip] < lines: each line is a
 * text in hex; prints its ids (comma-separated) a line, for
 * tests/tokenizer.test to compare with the references. With --roundtrip a
 * line "roundtrip: HEX" goes to stderr for each text that does not decode
 * back to itself. */
static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

static int batch(const char *dir, unsigned flags, int roundtrip)
{
	char err[SAEX_ERR_LEN];
	saex_tok *t = saex_tok_load(dir, err, sizeof err);
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, stdin)) >= 0) {
		size_t n = (size_t)got;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		size_t len = n / 2;
		char *text = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			text[i] = (char)(hexval(line[2 * i]) * 16 + hexval(line[2 * i + 1]));
		uint32_t *ids;
		size_t k;
		if (saex_tok_encode_ids(t, text, len, flags, &ids, &k, err, sizeof err)) {
			printf("error: %s\n", err);
		} else {
			char *s = ids_str(ids, k);
			printf("%s\n", s);
			free(s);
			size_t dl;
			char *back = roundtrip ? saex_tok_decode(t, ids, k, &dl) : NULL;
			if (roundtrip && (!back || dl != len || memcmp(back, text, len) != 0))
				fprintf(stderr, "roundtrip: %.*s\n", (int)n, line);
			free(back);
			free(ids);
		}
		free(text);
	}
	free(line);
	saex_tok_free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--encode") == 0)
		return batch(argv[2], (unsigned)atoi(argv[3]), argc > 4 && strcmp(argv[4], "--roundtrip") == 0);
	Suite *s = suite_create("tokenizer");
	TCase *tc = tcase_create("tokenizer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pretok_pattern);
	tcase_add_test(tc, pretok_nul_and_classes);
	tcase_add_test(tc, fast_path_matches_regex);
	tcase_add_test(tc, tok_tiny_files);
	tcase_add_test(tc, tok_tiny_json);
	tcase_add_test(tc, tok_load_cache);
	tcase_add_test(tc, tok_bpe_matches_naive);
	tcase_add_test(tc, tok_any_bytes);
	tcase_add_test(tc, tok_load_errors);
	tcase_add_test(tc, pipe_added_tokens);
	tcase_add_test(tc, pipe_normalizers);
	tcase_add_test(tc, pipe_split_behaviors);
	tcase_add_test(tc, pipe_pre_tokenizers);
	tcase_add_test(tc, pipe_bpe_model);
	tcase_add_test(tc, pipe_post_and_bos);
	tcase_add_test(tc, pipe_decoders);
	tcase_add_test(tc, pipe_spelling);
	tcase_add_test(tc, json_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
