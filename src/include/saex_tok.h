/* saex_tok.h - part of libsaex's public interface (included by saex.h):
 * Hugging Face tokenizers' pipeline, read from a model's tokenizer.json,
 * giving the ids the `tokenizers` library gives.
 *
 * Encoding runs, in order: added tokens split the text (special or not;
 * lstrip, rstrip, single_word, normalized; leftmost-longest), the
 * normalizer (NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip,
 * Sequence), the pre-tokenizer (ByteLevel, Split, Metaspace, Digits,
 * Whitespace, WhitespaceSplit, Sequence), the BPE model (byte_fallback,
 * ignore_merges, unk_token, fuse_unk) and, when asked, the post-processor
 * (TemplateProcessing, ByteLevel, Sequence). Decoding runs the decoder
 * (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence).
 * Regexes are Oniguruma's, as in `tokenizers`; Unicode normal forms come
 * from utf8proc. A component saex does not run (a Unigram or WordPiece
 * model, a UnicodeScripts pre-tokenizer, ...) is refused when loading, by
 * name and place: "tokenizer.json: pre_tokenizer.pretokenizers[1]: type
 * 'UnicodeScripts' is not supported". GPT-2's vocab.json + merges.txt load
 * as GPT-2's pipeline (ByteLevel with its pattern, BPE, <|endoftext|> a
 * special token).
 *
 * Text is bytes, and any bytes encode. Where `tokenizers` takes a string,
 * saex takes bytes that need not be UTF-8: a byte that is not part of
 * valid UTF-8 counts as one character that is no letter, number, mark or
 * space (as Python's surrogateescape would make it); a byte-level
 * tokenizer (GPT-2, Llama 3, Qwen, GPT-NeoX) gives it its byte's token, a
 * byte-fallback tokenizer (Gemma) its <0xXX> token, so that decoding gives
 * the bytes back; other tokenizers give the unk token. Special tokens
 * written in the text are recognised, as `tokenizers` does.
 *
 * Errors follow saex_tensor.h: (char *err, size_t errlen) receives a message
 * naming the file and the place ("tokenizer.json: model.merges[12]: ...").
 * No function aborts: out of memory is an error like any other. A
 * tokenizer is not safe to use from two threads at once (encoding uses
 * its scratch memory and cache): give each thread its own. */
#ifndef SAEX_TOK_H
#define SAEX_TOK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saex_tok saex_tok;

/* Loads the tokenizer of a model folder: tokenizer.json when it is there,
 * else vocab.json and merges.txt (GPT-2). A tokenizer_config.json beside
 * them may name the BOS (see saex_tok_bos). NULL on failure (err filled).
 * Free with saex_tok_free. */
saex_tok *saex_tok_load(const char *dir, char *err, size_t errlen);
/* From vocab.json (token string -> id) and merges.txt (one "a b" merge a
 * line, rank = order; a first line "#version..." is skipped). */
saex_tok *saex_tok_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
/* From a Hugging Face tokenizer.json alone. */
saex_tok *saex_tok_load_json(const char *tokenizer_json, char *err, size_t errlen);
void saex_tok_free(saex_tok *t);

enum {
	/* Add the special tokens the post-processor adds (tokenizers'
	 * add_special_tokens): Llama 3's <|begin_of_text|>, Gemma's <bos>.
	 * A tokenizer whose post-processor adds none gets its BOS first
	 * (saex_tok_bos: GPT-2's <|endoftext|>), as TransformerLens does. */
	SAEX_TOK_SPECIAL = 1u << 0
};

/* Encodes n bytes of text (any bytes; NULs included) into *ids (caller
 * frees; never NULL on success) and their number in *count. flags:
 * SAEX_TOK_*. -1 with err filled when memory runs out or a regex of the
 * tokenizer fails on the text (Oniguruma's match limits). */
int saex_tok_encode_ids(saex_tok *t, const char *text, size_t n, unsigned flags, uint32_t **ids, size_t *count,
                        char *err, size_t errlen);
/* The same with bos meaning SAEX_TOK_SPECIAL; NULL (and *count 0) on
 * failure. */
uint32_t *saex_tok_encode(saex_tok *t, const char *text, size_t n, int bos, size_t *count);

/* The text of n ids through the tokenizer's decoder (special tokens
 * included, as their content), NUL-terminated (caller frees; *len
 * receives its length when len is not NULL); NULL when an id is not in the
 * vocabulary or memory runs out. Bytes that are not valid UTF-8 are kept
 * (where `tokenizers` would put U+FFFD): callers escape what they print. */
char *saex_tok_decode(const saex_tok *t, const uint32_t *ids, size_t n, size_t *len);
/* The bytes token id stands for inside a text: the decoder run on that
 * token alone, as if it were not the first (so a Metaspace token keeps its
 * space). Borrowed until saex_tok_free; *len receives their length. NULL
 * when no token has that id or memory runs out. A byte-level or <0xXX>
 * token may hold part of a UTF-8 sequence. Made on first use, so even this
 * const function must not race with another call on the same tokenizer. */
const char *saex_tok_bytes(const saex_tok *t, uint32_t id, size_t *len);
/* Token id spelled as Neuronpedia's exports spell it for this model, so
 * that a live test and an imported dashboard look alike: the vocabulary
 * string with the replacements SAEDashboard makes (Ġ as a space, Ċ as a
 * newline, ĉ as a tab, the byte-level forms of — – “ ” ‘ ’ and the zero
 * width space); Gemma's ▁ stays. Caller frees; *len receives the length
 * when len is not NULL. NULL for an unknown id or without memory. */
char *saex_tok_token_text(const saex_tok *t, uint32_t id, size_t *len);
/* The bytes a token spelled in the byte-level alphabet stands for (the
 * alphabet of GPT-2's, Llama 3's and Qwen's vocabularies, which
 * SAEDashboard's and Neuronpedia's exports keep for the bytes of a
 * multi-byte character: "Ã¶" is ö's two bytes, "ĠwÃ¶rld" " wörld"): into
 * out, which holds n bytes at least; their number, or -1 when a character
 * of s (n bytes) is not in that alphabet. Needs no tokenizer. */
long saex_tok_bytelevel(const char *s, size_t n, char *out);
/* The id of the token whose bytes are exactly these, or -1. */
int64_t saex_tok_find(const saex_tok *t, const char *bytes, size_t n);
/* One more than the largest id. */
uint32_t saex_tok_vocab_size(const saex_tok *t);
/* Whether id is an added token marked special. */
int saex_tok_is_special(const saex_tok *t, uint32_t id);
/* The id of the BOS the model uses, or -1: the special token the
 * post-processor puts first (Llama 3 <|begin_of_text|> 128000, Gemma <bos>
 * 2); else, as TransformerLens, tokenizer_config.json's bos_token, or its
 * eos_token when it names none; else <|endoftext|> (GPT-2 50256, GPT-NeoX
 * and Qwen with tokenizer.json alone). */
int64_t saex_tok_bos(const saex_tok *t);

#ifdef __cplusplus
}
#endif
#endif
