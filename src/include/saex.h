/* saex.h - public interface of libsaex, the SAE core of saex.
 *
 * libsaex holds the parts of saex that do not depend on a terminal or a
 * database: feature-id parsing, terminal-safe escaping of untrusted text and
 * half-precision conversion. Link with `pkg-config --libs saex`.
 *
 * Ownership: functions returning char * return memory the caller frees with
 * free(); nothing returned is borrowed unless the comment says so. */
#ifndef SAEX_H
#define SAEX_H

#include <stddef.h>
#include <stdint.h>
#include "saex_tensor.h" /* safetensors and .npy files */
#include "saex_tok.h"    /* GPT-2's byte-level BPE tokenizer */
#include "saex_model.h"  /* GPT-2 forward pass with hooks */
#include "saex_sae.h"    /* SAELens sparse autoencoders */
#include "saex_steer.h"  /* steering with SAE features */
#include "saex_eval.h"   /* SAE evaluation: L0, loss recovered, ... */

#ifdef __cplusplus
extern "C" {
#endif

/* Version string of the library, e.g. "0.1.0". Static storage. */
const char *saex_version(void);

/* ---------------------------------------------------------------- feature ids
 * A feature is named as Neuronpedia names it: model id, source (SAE) id and
 * index. Accepted spellings:
 *   gpt2-small/9-res-jb/21474
 *   gpt2-small@9-res-jb:21474
 *   https://www.neuronpedia.org/gpt2-small/9-res-jb/21474   (also http://, no www)
 * Model and source ids are 1..127 bytes of [A-Za-z0-9._+-]; the index is a
 * decimal number below 2^53. */
#define SAEX_ID_MAX 128

typedef struct saex_fid {
	char model[SAEX_ID_MAX];
	char source[SAEX_ID_MAX];
	int64_t index;
} saex_fid;

/* Parses s into *out. Returns 0 on success; on failure returns -1 and, when
 * why is not NULL, points *why at a static explanation. */
int saex_fid_parse(const char *s, saex_fid *out, const char **why);

/* Returns 1 when s (NUL-terminated) is a valid model or source id. */
int saex_fid_valid_name(const char *s);

/* Writes "model/source/index" into buf (size n); returns the length that
 * the full text needs, as snprintf does. */
int saex_fid_format(const saex_fid *f, char *buf, size_t n);

/* Writes the Neuronpedia URL of the feature, as snprintf does. */
int saex_fid_url(const saex_fid *f, char *buf, size_t n);

/* ---------------------------------------------------------------- escaping
 * Untrusted text (token strings, explanations) must never reach a terminal
 * as a control sequence. saex_escape returns a copy of the n bytes at s in
 * which every C0 control, DEL, C1 control (U+0080..U+009F), format
 * character (Unicode category Cf: the bidirectional controls such as
 * U+061C and U+202E, the zero-width characters and joiners, U+FEFF),
 * line/paragraph separator and every byte that is not part of valid UTF-8
 * is replaced by a visible escape:
 *   \t \r \n for those three (see flags), \xNN for other bytes, \uNNNN for
 *   code points. Everything else is copied as is. Caller frees.
 *
 * SAEX_ESC_TOKEN reads s as a token as tokenizers spell them (and
 * Neuronpedia's exports store them): U+2581 (SentencePiece) and U+0120
 * (byte-level BPE) are spaces, U+010A a line break and U+0109 a tab (then
 * shown as the other flags say), and a whole token "<0xHH>" (a byte token)
 * the byte HH. The one rule by which saex shows tokens as text. */
enum {
	SAEX_ESC_NL_ARROW = 1u << 0, /* show '\n' as U+21B5 (↵) instead of \n */
	SAEX_ESC_NL_KEEP = 1u << 1,  /* keep '\n' as a real line break */
	SAEX_ESC_ASCII = 1u << 2,    /* escape every non-ASCII code point too
	                              * (for terminals without UTF-8) */
	SAEX_ESC_TAB_KEEP = 1u << 3, /* keep '\t' */
	SAEX_ESC_TOKEN = 1u << 4     /* s is a token: see above */
};
char *saex_escape(const char *s, size_t n, unsigned flags);

/* Number of bytes the UTF-8 sequence at s (n bytes available) occupies when
 * it is a valid, shortest-form encoding of a scalar value; 0 otherwise.
 * *cp receives the code point. */
size_t saex_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* ---------------------------------------------------------------- numbers */
float saex_f16_to_f32(uint16_t h);
uint16_t saex_f32_to_f16(float f);      /* round to nearest even */
float saex_bf16_to_f32(uint16_t h);

#ifdef __cplusplus
}
#endif
#endif
