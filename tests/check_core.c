/* check_core.c - feature ids, terminal escaping, half floats, packing. */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "esc.h"
#include "pack.h"
#include "intern.h"
#include "actpack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(fid_forms)
{
	saex_fid f;
	const char *why = NULL;
	ck_assert_int_eq(saex_fid_parse("gpt2-small/9-res-jb/21474", &f, &why), 0);
	ck_assert_str_eq(f.model, "gpt2-small");
	ck_assert_str_eq(f.source, "9-res-jb");
	ck_assert_int_eq(f.index, 21474);
	ck_assert_int_eq(saex_fid_parse("gpt2-small@9-res-jb:21474", &f, &why), 0);
	ck_assert_str_eq(f.source, "9-res-jb");
	ck_assert_int_eq(f.index, 21474);
	ck_assert_int_eq(saex_fid_parse("https://www.neuronpedia.org/gemma-2-2b/20-gemmascope-res-16k__l0-81/8837?embed=true",
	                                &f, &why), 0);
	ck_assert_str_eq(f.model, "gemma-2-2b");
	ck_assert_str_eq(f.source, "20-gemmascope-res-16k__l0-81");
	ck_assert_int_eq(f.index, 8837);
	ck_assert_int_eq(saex_fid_parse("neuronpedia.org/gpt2-small/e-res-jb/0/", &f, &why), 0);
	ck_assert_str_eq(f.source, "e-res-jb");
	ck_assert_int_eq(f.index, 0);
	char buf[64];
	ck_assert_int_eq(saex_fid_format(&f, buf, sizeof buf), (int)strlen("gpt2-small/e-res-jb/0"));
	ck_assert_str_eq(buf, "gpt2-small/e-res-jb/0");
	saex_fid_url(&f, buf, sizeof buf);
	ck_assert_str_eq(buf, "https://neuronpedia.org/gpt2-small/e-res-jb/0");
}
END_TEST

START_TEST(fid_bad)
{
	static const char *const bad[] = {
		"", "gpt2-small", "gpt2-small/9-res-jb", "gpt2-small/9-res-jb/", "gpt2-small/9-res-jb/x",
		"gpt2-small/9-res-jb/-1", "gpt2-small/9-res-jb/1/2", "/9-res-jb/1", "gpt2 small/9/1",
		"gpt2-small@9-res-jb", "gpt2-small@9-res-jb:", "gpt2-small/9-res-jb/99999999999999999",
		"gpt\x1b[31m/9/1", "a/b\xc2\x9b/1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		saex_fid f;
		const char *why = NULL;
		ck_assert_msg(saex_fid_parse(bad[i], &f, &why) == -1, "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(saex_fid_valid_name("9-res-jb"), 1);
	ck_assert_int_eq(saex_fid_valid_name("9 res"), 0);
	ck_assert_int_eq(saex_fid_valid_name(""), 0);
}
END_TEST

static void check_escape(const char *in, size_t n, unsigned flags, const char *want)
{
	char *got = saex_escape(in, n, flags);
	ck_assert_msg(strcmp(got, want) == 0, "escape: got '%s' want '%s'", got, want);
	free(got);
}

/* Fuzz finding (fuzz_fid): a model named like the URL host formatted to
 * "neuronpedia.org/SRC/N", which did not parse back (the host was taken
 * for a URL prefix). Every formatted id and URL must parse to itself. */
START_TEST(fid_host_named_model)
{
	saex_fid f, g;
	const char *why = NULL;
	char buf[300];
	ck_assert_int_eq(saex_fid_parse("http://neuronpedia.org/neuronpedia.org/+++s/0#tp", &f, &why), 0);
	ck_assert_str_eq(f.model, "neuronpedia.org");
	ck_assert_str_eq(f.source, "+++s");
	ck_assert_int_eq(f.index, 0);
	saex_fid_format(&f, buf, sizeof buf);
	ck_assert_str_eq(buf, "neuronpedia.org/+++s/0");
	ck_assert_int_eq(saex_fid_parse(buf, &g, &why), 0);
	ck_assert_str_eq(g.model, "neuronpedia.org");
	ck_assert_str_eq(g.source, "+++s");
	saex_fid_url(&f, buf, sizeof buf);
	ck_assert_int_eq(saex_fid_parse(buf, &g, &why), 0);
	ck_assert_str_eq(g.model, "neuronpedia.org");
	/* a plain URL still loses its prefix, and a bad one still fails */
	ck_assert_int_eq(saex_fid_parse("neuronpedia.org/gpt2-small/6-res-jb/5", &g, &why), 0);
	ck_assert_str_eq(g.model, "gpt2-small");
	ck_assert_int_eq(saex_fid_parse("neuronpedia.org/gpt2-small/6-res-jb", &g, &why), -1);
}
END_TEST

START_TEST(escape_controls)
{
	check_escape("plain text", 10, 0, "plain text");
	check_escape("\x1b[31mred\x1b[0m", 12, 0, "\\x1b[31mred\\x1b[0m");
	/* OSC 52 clipboard write, BEL-terminated */
	check_escape("\x1b]52;c;aGk=\x07", 12, 0, "\\x1b]52;c;aGk=\\x07");
	/* C1 CSI (U+009B) and OSC (U+009D) as UTF-8, and as raw 8-bit bytes */
	check_escape("a\xc2\x9b" "31m", 6, 0, "a\\u009b31m");
	check_escape("\xc2\x9d" "0;x", 5, 0, "\\u009d0;x");
	check_escape("\x9b" "2J", 3, 0, "\\x9b2J");
	check_escape("tab\there", 8, 0, "tab\\there");
	check_escape("a\nb", 3, 0, "a\\nb");
	check_escape("a\nb", 3, SAEX_ESC_NL_ARROW, "a\xe2\x86\xb5" "b");
	check_escape("a\nb", 3, SAEX_ESC_NL_KEEP, "a\nb");
	check_escape("cr\r", 3, 0, "cr\\r");
	check_escape("del\x7f", 4, 0, "del\\x7f");
	check_escape("nul\0x", 5, 0, "nul\\x00x");
	/* bidi override and isolate */
	check_escape("\xe2\x80\xae" "abc", 6, 0, "\\u202eabc");
	check_escape("\xe2\x81\xa6" "x", 4, 0, "\\u2066x");
	/* printable Unicode passes, and is escaped in ASCII mode */
	check_escape("\xe2\x96\x81the \xe5\x87\xba", 10, 0, "\xe2\x96\x81the \xe5\x87\xba");
	check_escape("\xe2\x96\x81the", 6, SAEX_ESC_ASCII, "\\u2581the");
	check_escape("\xf0\x9f\x98\x80", 4, SAEX_ESC_ASCII, "\\U0001f600");
	/* invalid UTF-8: lone continuation, overlong, surrogate, truncated */
	check_escape("\x80", 1, 0, "\\x80");
	check_escape("\xc0\xaf", 2, 0, "\\xc0\\xaf");
	check_escape("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80");
	check_escape("ab\xe2\x96", 4, 0, "ab\\xe2\\x96");
	/* every format character (Cf) and Bidi_Control: ALM, LRM, ZWSP, ZWJ,
	 * word joiner, BOM, a tag character; U+2028 */
	check_escape("\xd8\x9c" "a", 3, 0, "\\u061ca");
	check_escape("\xe2\x80\x8e\xe2\x80\x8b\xe2\x80\x8d", 9, 0, "\\u200e\\u200b\\u200d");
	check_escape("\xe2\x81\xa0\xef\xbb\xbf", 6, 0, "\\u2060\\ufeff");
	check_escape("\xf3\xa0\x80\x81", 4, 0, "\\U000e0001");
	check_escape("\xe2\x80\xa8", 3, 0, "\\u2028");
	ck_assert_int_eq(esc_is_format_control(0x61c), 1);
	ck_assert_int_eq(esc_is_format_control(0xad), 1);
	ck_assert_int_eq(esc_is_format_control(0x1343f), 1);
	ck_assert_int_eq(esc_is_format_control(0x2581), 0);
	ck_assert_int_eq(esc_is_format_control('a'), 0);
}
END_TEST

/* Tokens as tokenizers spell them (SAEX_ESC_TOKEN): U+2581 and U+0120 are
 * spaces, U+010A a line break, U+0109 a tab, <0x0A> the byte. */
START_TEST(escape_tokens)
{
	check_escape("\xe2\x96\x81of\xe2\x96\x81the", 11, SAEX_ESC_TOKEN, " of the");
	check_escape("\xc4\xa0the", 5, SAEX_ESC_TOKEN, " the");
	check_escape("\xc4\x8a\xc4\x8a", 4, SAEX_ESC_TOKEN | SAEX_ESC_NL_ARROW, "\xe2\x86\xb5\xe2\x86\xb5");
	check_escape("\xc4\x8a", 2, SAEX_ESC_TOKEN | SAEX_ESC_NL_KEEP, "\n");
	check_escape("\xc4\x89", 2, SAEX_ESC_TOKEN, "\\t");
	check_escape("<0x0A>", 6, SAEX_ESC_TOKEN | SAEX_ESC_NL_ARROW, "\xe2\x86\xb5");
	check_escape("<0x1B>", 6, SAEX_ESC_TOKEN, "\\x1b");
	check_escape("<0xE2>", 6, SAEX_ESC_TOKEN, "\\xe2");
	/* not byte tokens; and without the flag nothing is replaced */
	check_escape("<0x0G>", 6, SAEX_ESC_TOKEN, "<0x0G>");
	check_escape("<0x0A>x", 7, SAEX_ESC_TOKEN, "<0x0A>x");
	check_escape("\xe2\x96\x81of", 5, 0, "\xe2\x96\x81of");
	check_escape("<0x0A>", 6, 0, "<0x0A>");
	/* the control a token stands for is still escaped */
	check_escape("\xc4\x8a", 2, SAEX_ESC_TOKEN, "\\n");
	ck_assert_int_eq(esc_token_breaks_line("\xc4\x8a", 2), 1);
	ck_assert_int_eq(esc_token_breaks_line("<0x0A>", 6), 1);
	ck_assert_int_eq(esc_token_breaks_line("a\n", 2), 1);
	ck_assert_int_eq(esc_token_breaks_line("\xe2\x96\x81" "a", 4), 0);
}
END_TEST

/* Every byte value, alone and in pairs: the escaped text never holds a
 * control byte or a C1 code point. */
START_TEST(escape_all_bytes)
{
	for (int a = 0; a < 256; a++) {
		for (int b = 0; b < 256; b += 7) {
			char in[3] = {(char)a, (char)b, 'z'};
			char *out = saex_escape(in, 3, 0);
			ck_assert_int_eq(esc_is_clean(out, strlen(out)), 1);
			for (const unsigned char *p = (const unsigned char *)out; *p; p++)
				ck_assert_msg(*p >= 0x20 && *p != 0x7f, "byte %02x escaped to raw %02x", a, *p);
			free(out);
		}
	}
}
END_TEST

START_TEST(half_floats)
{
	ck_assert(saex_f16_to_f32(0x3c00) == 1.0f);
	ck_assert(saex_f16_to_f32(0xc000) == -2.0f);
	ck_assert(saex_f16_to_f32(0x7bff) == 65504.0f);
	ck_assert(saex_f16_to_f32(0x0001) == ldexpf(1, -24));
	ck_assert(isinf(saex_f16_to_f32(0x7c00)));
	ck_assert(isnan(saex_f16_to_f32(0x7e00)));
	ck_assert_uint_eq(saex_f32_to_f16(1.0f), 0x3c00);
	ck_assert_uint_eq(saex_f32_to_f16(65504.0f), 0x7bff);
	ck_assert_uint_eq(saex_f32_to_f16(1e6f), 0x7c00);
	ck_assert_uint_eq(saex_f32_to_f16(ldexpf(1, -24)), 0x0001);
	/* round to nearest even: 1 + 2^-11 is halfway between 1 and 1+2^-10 */
	ck_assert_uint_eq(saex_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00);
	ck_assert_uint_eq(saex_f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3c02);
	/* every finite half survives a round trip */
	for (uint32_t h = 0; h < 0x10000; h++) {
		if ((h & 0x7c00) == 0x7c00)
			continue;
		ck_assert_uint_eq(saex_f32_to_f16(saex_f16_to_f32((uint16_t)h)), h);
	}
	ck_assert(saex_bf16_to_f32(0x3f80) == 1.0f);
	ck_assert(saex_bf16_to_f32(0xc040) == -3.0f);
}
END_TEST

START_TEST(pack_varints_ids)
{
	uint32_t ids[] = {0, 1, 127, 128, 16383, 16384, 50256, 4000000000u};
	sb b = {0};
	pack_ids(&b, ids, 8);
	ck_assert_uint_eq(b.n, 1 + 1 + 1 + 2 + 2 + 3 + 3 + 5);
	uint32_t back[8];
	const unsigned char *p = (const unsigned char *)b.p, *end = p + b.n;
	ck_assert_int_eq(unpack_ids(&p, end, back, 8), 0);
	ck_assert_ptr_eq(p, end);
	ck_assert_int_eq(memcmp(ids, back, sizeof ids), 0);
	/* a varint cut short is refused */
	p = (const unsigned char *)b.p;
	ck_assert_int_eq(unpack_ids(&p, end - 1, back, 8), -1);
	/* a varint past 64 bits is refused */
	static const unsigned char big[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	p = big;
	uint64_t v;
	ck_assert_int_eq(unpack_uvarint(&p, big + 11, &v), -1);
	sb_free(&b);
}
END_TEST

START_TEST(zpack_roundtrip)
{
	char raw[5000];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (char)("feature"[i % 7] + (i / 700));
	sb b = {0};
	ck_assert_int_eq(zpack(&b, raw, sizeof raw, 6), 0);
	ck_assert_uint_lt(b.n, sizeof raw / 4);
	arena a = {0};
	unsigned char *out;
	size_t n;
	ck_assert_int_eq(zunpack(b.p, b.n, &a, &out, &n), 0);
	ck_assert_uint_eq(n, sizeof raw);
	ck_assert_int_eq(memcmp(out, raw, n), 0);
	/* truncated stream, damaged stream, a length that lies */
	ck_assert_int_eq(zunpack(b.p, b.n - 3, &a, &out, &n), -1);
	b.p[b.n - 2] ^= 0x33;
	ck_assert_int_eq(zunpack(b.p, b.n, &a, &out, &n), -1);
	b.p[b.n - 2] ^= 0x33;
	b.p[0] = 0x7f; /* claims 127 raw bytes */
	ck_assert_int_eq(zunpack(b.p, b.n, &a, &out, &n), -1);
	static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x78, 0x9c};
	ck_assert_int_eq(zunpack(huge, sizeof huge, &a, &out, &n), -1);
	arena_free(&a);
	sb_free(&b);
}
END_TEST

START_TEST(intern_map)
{
	intern *m = intern_new();
	char key[32];
	for (uint32_t i = 0; i < 20000; i++) {
		int n = snprintf(key, sizeof key, "tok%u", i);
		uint64_t h = hash_bytes(HASH_SEED, key, (size_t)n);
		ck_assert_int_eq(intern_find(m, key, (size_t)n, h), -1);
		intern_add(m, key, (size_t)n, h, i);
	}
	for (uint32_t i = 0; i < 20000; i += 97) {
		int n = snprintf(key, sizeof key, "tok%u", i);
		ck_assert_int_eq(intern_find(m, key, (size_t)n, hash_bytes(HASH_SEED, key, (size_t)n)), i);
	}
	/* keys with NUL bytes are distinct by length */
	intern_add(m, "a\0b", 3, hash_bytes(HASH_SEED, "a\0b", 3), 99999);
	ck_assert_int_eq(intern_find(m, "a\0b", 3, hash_bytes(HASH_SEED, "a\0b", 3)), 99999);
	ck_assert_int_eq(intern_find(m, "a", 1, hash_bytes(HASH_SEED, "a", 1)), -1);
	ck_assert_uint_eq(intern_count(m), 20001);
	intern_free(m);
}
END_TEST

START_TEST(pack_floats_exact)
{
	static const float sets[][6] = {
		{0, 1, 2, 4412, 65535, 4294967040.0f},           /* integers */
		{88.302f, -0.542f, 7.877f, 0.001f, -3, 0},        /* thousandths */
		{0.1f, 1e-7f, 3.14159265f, -0.0f, 1e30f, 2.5f},   /* f32 */
	};
	for (int k = 0; k < 3; k++) {
		sb b = {0};
		pack_floats(&b, sets[k], 6);
		ck_assert_int_eq((unsigned char)b.p[1], k == 0 ? 1 : k == 1 ? 2 : 0);
		arena a = {0};
		const unsigned char *p = (const unsigned char *)b.p, *end = p + b.n;
		float *v;
		size_t n;
		ck_assert_int_eq(unpack_floats(&p, end, &a, &v, &n), 0);
		ck_assert_uint_eq(n, 6);
		ck_assert_ptr_eq(p, end);
		/* bit-exact, negative zero included */
		ck_assert_int_eq(memcmp(v, sets[k], sizeof sets[k]), 0);
		p = (const unsigned char *)b.p;
		ck_assert_int_eq(unpack_floats(&p, end - 1, &a, &v, &n), -1);
		arena_free(&a);
		sb_free(&b);
	}
	/* NaN and infinity survive as f32 */
	float odd[2] = {NAN, INFINITY};
	sb b = {0};
	pack_floats(&b, odd, 2);
	arena a = {0};
	const unsigned char *p = (const unsigned char *)b.p;
	float *v;
	size_t n;
	ck_assert_int_eq(unpack_floats(&p, p + b.n, &a, &v, &n), 0);
	ck_assert(isnan(v[0]) && isinf(v[1]));
	arena_free(&a);
	sb_free(&b);
}
END_TEST

START_TEST(actpack_roundtrip)
{
	enum { K = 7, T = 128 };
	actpack_ex ex[K];
	uint32_t ids[K][T];
	float vals[K][T];
	for (int k = 0; k < K; k++) {
		for (int t = 0; t < T; t++) {
			ids[k][t] = (uint32_t)((k * 7919 + t * 104729) % 50257);
			vals[k][t] = (t % 9 == k) ? (float)(k * 10 + t) * 0.125f : 0.0f;
		}
		vals[k][5] = k == 3 ? 0.1f : 0.0f; /* one example not in thousandths */
		ex[k] = (actpack_ex){(uint32_t)(k * 2654435761u), T, k, (float)k * 1.5f, 0,
		                     k < 3 ? -1.0f : 2.5f, 88.302f, 2e-05f, ids[k], vals[k]};
	}
	sb b = {0};
	ck_assert_int_eq(actpack_encode(&b, ex, K), 0);
	ck_assert_uint_lt(b.n, K * T * 3); /* ids need 2-3 varint bytes; values are sparse */
	arena a = {0};
	actpack_ex *back;
	size_t n;
	ck_assert_int_eq(actpack_decode(b.p, b.n, &a, &back, &n), 0);
	ck_assert_uint_eq(n, K);
	for (int k = 0; k < K; k++) {
		ck_assert_uint_eq(back[k].key, ex[k].key);
		ck_assert_uint_eq(back[k].n, T);
		ck_assert_int_eq(back[k].max_index, k);
		ck_assert(back[k].bin_min == ex[k].bin_min && back[k].bin_contains == 2e-05f);
		ck_assert_int_eq(memcmp(back[k].ids, ids[k], sizeof ids[k]), 0);
		ck_assert_int_eq(memcmp(back[k].values, vals[k], sizeof vals[k]), 0);
	}
	/* every truncation and a flipped byte are refused, never read past */
	for (size_t cut = 0; cut < b.n; cut += 3)
		ck_assert_int_eq(actpack_decode(b.p, cut, &a, &back, &n), -1);
	b.p[b.n / 2] ^= 0x5a;
	ck_assert_int_eq(actpack_decode(b.p, b.n, &a, &back, &n), -1);
	/* an empty set */
	sb_clear(&b);
	ck_assert_int_eq(actpack_encode(&b, ex, 0), 0);
	ck_assert_int_eq(actpack_decode(b.p, b.n, &a, &back, &n), 0);
	ck_assert_uint_eq(n, 0);
	arena_free(&a);
	sb_free(&b);
}
END_TEST

/* A name from data resolves only in the Hugging Face cache: a real folder
 * named by an absolute or relative path is never opened through it. */
START_TEST(hf_names_from_data)
{
	char root[1100], snap[1300], out[4096], err[512];
	snprintf(root, sizeof root, "%s/hf", tu_tmpdir());
	snprintf(snap, sizeof snap, "%s/hub/models--acme--saes/snapshots/s1/layer_2", root);
	tu_mkdirs(snap);
	tu_mkdirs(tu_path("elsewhere/acme"));
	setenv("HF_HOME", root, 1);
	ck_assert_msg(saex_hf_resolve_name("acme/saes/layer_2", out, sizeof out, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(out, snap);
	static const char *const bad[] = {"/etc", "..", "../x", "acme/saes/../../..", "acme//saes", "./acme",
	                                  "acme/saes/", "~/x", "a b", "acme/saes/\x1b[2J"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_ne(saex_hf_resolve_name(bad[i], out, sizeof out, err, sizeof err), 0);
		ck_assert_msg(strstr(err, "not a Hugging Face name"), "%s: %s", bad[i], err);
	}
	/* a folder that exists here by that name is still not taken */
	ck_assert_int_eq(chdir(tu_path("elsewhere")), 0);
	ck_assert_int_ne(saex_hf_resolve_name("acme", out, sizeof out, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "no models--acme in the Hugging Face cache"), "%s", err);
	/* while the user's own --model DIR may be any folder */
	ck_assert_int_eq(saex_hf_resolve("acme", out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "acme");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, fid_forms);
	tcase_add_test(tc, fid_bad);
	tcase_add_test(tc, fid_host_named_model);
	tcase_add_test(tc, escape_controls);
	tcase_add_test(tc, escape_tokens);
	tcase_add_test(tc, escape_all_bytes);
	tcase_add_test(tc, half_floats);
	tcase_add_test(tc, pack_varints_ids);
	tcase_add_test(tc, zpack_roundtrip);
	tcase_add_test(tc, intern_map);
	tcase_add_test(tc, pack_floats_exact);
	tcase_add_test(tc, actpack_roundtrip);
	tcase_add_test(tc, hf_names_from_data);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
