/* fuzz_tokenizer.c - libFuzzer harness for the tokenizer (src/core/tok/):
 * loading, the tokenizer.json pipeline, encoding, decoding. The first byte
 * picks a mode (mod 3):
 *   0: the rest is vocab.json NUL merges.txt NUL text: both files are
 *      loaded (saex_tok_load_files) and the text encoded;
 *   1: the rest is text, encoded with a fixed small valid byte-level
 *      vocabulary (256 byte tokens, a few merges, <|endoftext|>);
 *   2: the rest is tokenizer.json NUL text (saex_tok_load_json): any
 *      pipeline (normalizers, pre-tokenizers, BPE options, added tokens,
 *      post-processors, decoders).
 * Whatever loads must encode any bytes; every id must be a token that
 * decodes and spells; with special tokens the BOS or the template comes
 * first; and a pipeline that promises it (byte-level, no normalizer, no
 * pre-tokenizer that drops text or adds a prefix space, no stripping added
 * token, the ByteLevel decoder) must decode the ids back to the text. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"
#include "tok_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* GPT-2's byte -> code point map: printable bytes stand for themselves,
 * the rest get 256, 257, ... in byte order. */
static unsigned fz_byte_cp(int b)
{
	if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
		return (unsigned)b;
	unsigned n = 0;
	for (int c = 0; c < b; c++)
		if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255)))
			n++;
	return 256 + n;
}

static saex_tok *fz_fixed_tok(void)
{
	static saex_tok *t;
	if (t)
		return t;
	/* merges and their results, in rank order ("Ġ" is the space byte) */
	static const char *const merges[][2] = {
		{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}, {"e", "r"},
		{"o", "n"}, {"Ġa", "n"}, {"Ġan", "d"}, {"r", "e"}, {"Ã", "©"}, {"Ċ", "Ċ"},
		{"1", "2"}, {"'", "s"}, {"Ġ", "Ġ"},
	};
	size_t nm = sizeof merges / sizeof merges[0];
	char *vocab = malloc(65536), *mtxt = malloc(4096);
	size_t vl = 0, ml = 0;
	vl += (size_t)sprintf(vocab + vl, "{");
	for (int b = 0; b < 256; b++)
		vl += (size_t)sprintf(vocab + vl, "%s\"\\u%04x\": %d", b ? ", " : "", fz_byte_cp(b), b);
	ml += (size_t)sprintf(mtxt + ml, "#version: 0.2\n");
	for (size_t i = 0; i < nm; i++) {
		vl += (size_t)sprintf(vocab + vl, ", \"%s%s\": %zu", merges[i][0], merges[i][1], 256 + i);
		ml += (size_t)sprintf(mtxt + ml, "%s %s\n", merges[i][0], merges[i][1]);
	}
	vl += (size_t)sprintf(vocab + vl, ", \"<|endoftext|>\": %zu}", 256 + nm);
	fz_write(fz_path("fixed-vocab.json"), vocab, vl);
	fz_write(fz_path("fixed-merges.txt"), mtxt, ml);
	free(vocab);
	free(mtxt);
	char err[SAEX_ERR_LEN];
	t = saex_tok_load_files(fz_path("fixed-vocab.json"), fz_path("fixed-merges.txt"), err,
	                        sizeof err);
	if (!t) {
		fprintf(stderr, "fuzz_tokenizer: the fixed vocabulary does not load: %s\n", err);
		abort();
	}
	return t;
}

/* Whether decoding gives back exactly the text that was encoded. */
static int fz_lossless(const saex_tok *t)
{
	if (!t->byte_level || t->nnorm || t->ndec != 1 || t->dec[0].kind != TOK_D_BYTELEVEL)
		return 0;
	for (size_t i = 0; i < t->npre; i++) {
		if (t->pre[i].kind != TOK_P_BYTELEVEL &&
		    !(t->pre[i].kind == TOK_P_SPLIT && t->pre[i].behavior != TOK_REMOVED))
			return 0;
		/* add_prefix_space (its default) puts a space before each piece
		 * that lacks one, after every added token too, as tokenizers does */
		if (t->pre[i].kind == TOK_P_BYTELEVEL && t->pre[i].prefix_space)
			return 0;
	}
	for (size_t i = 0; i < t->added.n; i++)
		if (t->added.tok[i].lstrip || t->added.tok[i].rstrip)
			return 0;
	return 1;
}

/* Every id is a token that decodes, shows its bytes and its spelling. */
static void fz_ids_valid(saex_tok *t, const uint32_t *ids, size_t count)
{
	uint32_t nv = saex_tok_vocab_size(t);
	for (size_t i = 0; i < count; i++) {
		size_t bl;
		char *sp = saex_tok_token_text(t, ids[i], &bl);
		if (ids[i] >= nv || !sp || !saex_tok_bytes(t, ids[i], &bl))
			abort();
		free(sp);
	}
	size_t len;
	char *back = saex_tok_decode(t, ids, count, &len);
	if (!back)
		abort();
	free(back);
}

/* Encodes text with and without special tokens and checks the results. */
static void fz_roundtrip(saex_tok *t, const uint8_t *text, size_t n)
{
	size_t count = 0, count2 = 0, len = 0;
	uint32_t *ids, *ids2;
	char err[SAEX_ERR_LEN] = "";
	if (saex_tok_encode_ids(t, (const char *)text, n, 0, &ids, &count, err, sizeof err)) {
		if (!err[0])
			abort();
		return; /* a regex that gives up on the text (Oniguruma's limits) */
	}
	fz_ids_valid(t, ids, count);
	if (saex_tok_encode_ids(t, (const char *)text, n, SAEX_TOK_SPECIAL, &ids2, &count2, err, sizeof err))
		abort(); /* the same text went through once */
	/* the special tokens go around the text's ids, which stay as they are */
	size_t k = 0;
	while (k + count <= count2 && memcmp(ids2 + k, ids, count * sizeof *ids) != 0)
		k++;
	if (k + count > count2)
		abort();
	fz_ids_valid(t, ids2, count2);
	free(ids2);
	if (fz_lossless(t)) {
		char *back = saex_tok_decode(t, ids, count, &len);
		if (!back || len != n || (n && memcmp(back, text, n) != 0))
			abort(); /* encoding lost or changed bytes */
		free(back);
	}
	free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* no load cache: an entry a run would write for each input that loads
	 * (its reader is tests/check_tokenizer.c's: entries damaged byte by
	 * byte, cut short, stale) */
	setenv("SAEX_NO_CACHE", "1", 1);
	if (size == 0)
		return 0;
	int mode = data[0] % 3;
	const uint8_t *p = data + 1;
	size_t n = size - 1, l1, l2;
	char err[SAEX_ERR_LEN];
	if (mode == 1) {
		fz_roundtrip(fz_fixed_tok(), p, n);
		return 0;
	}
	saex_tok *t;
	if (mode == 0) {
		const uint8_t *vocab = fz_split(&p, &n, 0, &l1);
		const uint8_t *merges = fz_split(&p, &n, 0, &l2);
		fz_write(fz_path("vocab.json"), vocab, l1);
		fz_write(fz_path("merges.txt"), merges, l2);
		t = saex_tok_load_files(fz_path("vocab.json"), fz_path("merges.txt"), err, sizeof err);
	} else {
		const uint8_t *json = fz_split(&p, &n, 0, &l1);
		fz_write(fz_path("tokenizer.json"), json, l1);
		t = saex_tok_load_json(fz_path("tokenizer.json"), err, sizeof err);
	}
	if (!t) {
		if (!err[0])
			abort();
		return 0;
	}
	fz_roundtrip(t, p, n);
	saex_tok_free(t);
	return 0;
}
