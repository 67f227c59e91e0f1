/* saex_tok.h - part of libsaex's public interface (included by saex.h):
 * GPT-2's byte-level BPE tokenizer.
 *
 * Text is bytes. It is split with GPT-2's pre-tokenizer pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (\s is Unicode White_Space, as in Python's regex module that GPT-2 used),
 * each piece's bytes are merged by rank, and the merged pieces become ids.
 * Any byte string encodes: a byte that is not part of valid UTF-8 counts as
 * a character that is not a letter, number or space, and every byte has a
 * token of its own, so nothing is ever lost or replaced. The text is taken
 * literally: "<|endoftext|>" inside it is ordinary text (as in OpenAI's
 * GPT-2 encoder); ask for BOS with the bos argument.
 *
 * Errors follow saex_tensor.h: (char *err, size_t errlen) receives a message
 * naming the file ("merges.txt:12: ..."). A tokenizer is not safe to use
 * from two threads at once (encoding updates its cache): give each thread
 * its own. */
#ifndef SAEX_TOK_H
#define SAEX_TOK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saex_tok saex_tok;

/* Loads the tokenizer of a model folder: vocab.json and merges.txt when
 * both are there, else tokenizer.json (Hugging Face format). NULL on
 * failure (err filled). Free with saex_tok_free. */
saex_tok *saex_tok_load(const char *dir, char *err, size_t errlen);
/* From vocab.json (token string -> id) and merges.txt (one "a b" merge a
 * line, rank = order; a first line "#version..." is skipped). */
saex_tok *saex_tok_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
/* From a Hugging Face tokenizer.json with a BPE model and a ByteLevel
 * pre-tokenizer: model.vocab, model.merges ("a b" strings or ["a", "b"]
 * pairs) and added_tokens. */
saex_tok *saex_tok_load_json(const char *tokenizer_json, char *err, size_t errlen);
void saex_tok_free(saex_tok *t);

/* Encodes n bytes of text (any bytes; NULs included), with the BOS id first
 * when bos is set and the vocabulary has "<|endoftext|>". Returns the ids
 * in memory the caller frees (never NULL) and their number in *count. */
uint32_t *saex_tok_encode(saex_tok *t, const char *text, size_t n, int bos, size_t *count);

/* The bytes of token id (borrowed; *len receives their length), or NULL
 * when no token has that id. Tokens are raw bytes: one may hold part of a
 * UTF-8 sequence. */
const char *saex_tok_bytes(const saex_tok *t, uint32_t id, size_t *len);
/* The bytes of n ids, concatenated and NUL-terminated (caller frees;
 * *len receives their length when len is not NULL), or NULL when an id is
 * not in the vocabulary. */
char *saex_tok_decode(const saex_tok *t, const uint32_t *ids, size_t n, size_t *len);
/* The id of the token whose bytes are exactly these, or -1. */
int64_t saex_tok_find(const saex_tok *t, const char *bytes, size_t n);
/* One more than the largest id. */
uint32_t saex_tok_vocab_size(const saex_tok *t);
/* The id of "<|endoftext|>" (GPT-2: 50256, its BOS and EOS), or -1. */
int64_t saex_tok_bos(const saex_tok *t);

#ifdef __cplusplus
}
#endif
#endif
