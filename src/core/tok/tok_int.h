/* tok_int.h - the tokenizer's parts, shared by the files of src/core/tok/
 * (not installed). See saex_tok.h for the contract and the order of the
 * pipeline; FORMATS-MODELS.md §C for tokenizer.json.
 *
 * Text inside the pipeline is "escaped UTF-8": valid UTF-8 in which each
 * byte of the input that is not part of valid UTF-8 stands as the encoded
 * surrogate U+DC00 + byte (Python's surrogateescape). Such a character is
 * no letter, number, mark or space for every rule below; ByteLevel turns it
 * back into its byte and BPE's byte fallback spells it as that byte. Valid
 * UTF-8 never holds a surrogate, so the escape cannot be confused with text.
 *
 * Memory: nothing here aborts. Buffers (tbuf, tids) remember a failed
 * allocation in their oom flag and ignore later appends; the driver checks
 * the flags once a step is done and reports "out of memory". */
#ifndef SAEX_TOK_INT_H
#define SAEX_TOK_INT_H

#include "saex.h"

#include <oniguruma.h>
#include <stddef.h>
#include <stdint.h>

#define TOK_NONE UINT32_MAX
#define TOK_MAX_ID (1u << 24)     /* ids at or above this are a damaged file */
#define TOK_MAX_STAGES 256        /* normalizers, pre-tokenizers, ... in one chain */

/* ---------------------------------------------------------------- buffers */
typedef struct tbuf {
	char *p;
	size_t n, cap;
	int oom;
} tbuf;

typedef struct tids {
	uint32_t *p;
	size_t n, cap;
	int oom;
} tids;

int tbuf_reserve(tbuf *b, size_t extra); /* 0, or -1 (and oom set) */
void tbuf_add(tbuf *b, const void *p, size_t n);
void tbuf_addc(tbuf *b, char c);
void tbuf_free(tbuf *b);
int tids_reserve(tids *a, size_t extra);
void tids_add(tids *a, uint32_t v);
void tids_free(tids *a);
/* realloc that leaves *p alone on failure: 0 or -1. */
int tok_realloc(void *pp, size_t n, size_t elem);

/* ---------------------------------------------------------------- characters */
/* The length of the character at s (escaped UTF-8, at least one byte) and
 * its code point (an escape gives U+DC80..U+DCFF). */
size_t tok_char(const unsigned char *s, size_t n, uint32_t *cp);
/* Appends code point cp as UTF-8 (surrogates too: that is the escape). */
void tok_put_cp(tbuf *b, uint32_t cp);
size_t tok_utf8(uint32_t cp, char out[4]);     /* cp as UTF-8 into out: its length */
int tok_is_escape(uint32_t cp);             /* U+DC80..U+DCFF */
int tok_is_white(uint32_t cp);              /* Unicode White_Space */
int tok_is_word(uint32_t cp);               /* \w as Rust's regex crate */
int tok_is_numeric(uint32_t cp);            /* general category N* (Rust char::is_numeric) */
uint64_t tok_hash(const void *p, size_t n);

/* ---------------------------------------------------------------- vocabulary
 * Every token, the model's and the added ones, in one id space: id ->
 * string and string -> id. Strings are kept in one buffer. */
typedef struct tok_str_at {
	uint32_t off, len;        /* len = TOK_NONE when no token has the id */
} tok_str_at;

typedef struct tok_vocab {
	uint32_t nid;             /* ids below this have an entry in at */
	tok_str_at *at;           /* per id: its string in str */
	uint8_t *flag;            /* per id: TOK_F_* */
	tbuf str;
	uint64_t *slot;           /* tag << 32 | id; 0 = empty */
	size_t cap, count;
	int borrowed;             /* at, flag, str and slot lie in the load
	                           * cache's map (tok_cache.c): copied to
	                           * memory of their own before they grow */
} tok_vocab;

enum {
	TOK_F_MODEL = 1,          /* in the model's vocabulary (BPE may produce it) */
	TOK_F_ADDED = 2,          /* in added_tokens */
	TOK_F_SPECIAL = 4         /* an added token marked special */
};

int tok_vocab_init(tok_vocab *v, size_t expect);
void tok_vocab_free(tok_vocab *v);
/* Gives id the string; -1 with a message when the id already has a
 * string, the string already has an id (not looked for when fresh is set:
 * the caller knows it is new), or memory runs out. */
int tok_vocab_set(tok_vocab *v, uint32_t id, const char *s, size_t n, uint8_t flag, int fresh, char *msg,
                  size_t msglen);
int64_t tok_vocab_find_h(const tok_vocab *v, const char *s, size_t n, uint64_t h);
int64_t tok_vocab_find(const tok_vocab *v, const char *s, size_t n);
const char *tok_vocab_str(const tok_vocab *v, uint32_t id, size_t *n); /* NULL: no such id */
/* Once loaded: the table at most half full and no ids past the last
 * token's (the load's guesses of its size are generous). */
void tok_vocab_compact(tok_vocab *v);

/* ---------------------------------------------------------------- regular expressions
 * Oniguruma, UTF-8, its default syntax (what the `onig` crate and so
 * `tokenizers` use). Matches are found as that crate's find_iter finds
 * them: each search starts where the last match ended; an empty match
 * right where the previous match ended is skipped by one character. */
typedef struct tok_re {
	regex_t *re;
	OnigRegion *region;
} tok_re;

typedef struct tok_span {
	size_t a, b;
	int match;
} tok_span;

typedef struct tok_spans {
	tok_span *p;
	size_t n, cap;
	int oom;
} tok_spans;

/* Compiles pat (n bytes); -1 with Oniguruma's message in msg. */
int tok_re_compile(tok_re *r, const char *pat, size_t n, char *msg, size_t msglen);
/* A regex that matches the string s literally. */
int tok_re_literal(tok_re *r, const char *s, size_t n, char *msg, size_t msglen);
void tok_re_free(tok_re *r);
/* s split into matches and the gaps between them, in order, covering s
 * (an empty s gives one empty gap), as `tokenizers`' find_matches. invert
 * swaps the match flags. -1 on a search error (msg filled) or no memory. */
int tok_re_split(const tok_re *r, const char *s, size_t n, int invert, tok_spans *out, char *msg, size_t msglen);
void tok_spans_free(tok_spans *s);
void tok_spans_add(tok_spans *s, size_t a, size_t b, int match); /* sets oom on failure */
/* Every match of re in s replaced by with, appended to out. */
int tok_replace(const tok_re *re, const char *with, size_t with_len, const char *s, size_t n, tbuf *out,
                char *msg, size_t msglen);

/* ---------------------------------------------------------------- splitting
 * What to do with the matches of a split (tokenizers'
 * SplitDelimiterBehavior). */
typedef enum {
	TOK_REMOVED, TOK_ISOLATED, TOK_MERGED_PREV, TOK_MERGED_NEXT, TOK_CONTIGUOUS
} tok_behavior;

/* Turns the spans of tok_re_split (or any covering list of matches and
 * gaps) into the pieces the behaviour keeps, in place: out holds the
 * pieces as spans (match flag 0), empty ones included (callers drop them). */
void tok_behave(tok_spans *s, tok_behavior how);

/* ---------------------------------------------------------------- added tokens */
typedef struct tok_trie_node {
	int32_t child, next;      /* first child, next sibling; -1 none */
	int32_t token;            /* index into tok_added.tok, or -1 */
	unsigned char byte;
} tok_trie_node;

typedef struct tok_trie {
	tok_trie_node *node;
	size_t n, cap;
	int32_t root[256];
} tok_trie;

typedef struct tok_added_tok {
	uint32_t id;
	char lstrip, rstrip, single_word, normalized, special;
} tok_added_tok;

typedef struct tok_added {
	tok_added_tok *tok;
	size_t n, cap;
	tok_trie raw, norm;       /* contents of normalized = false / true tokens */
	int any_raw, any_norm;
} tok_added;

/* A segment of text: its bytes, or an added token (id != TOK_NONE). */
typedef struct tok_seg {
	size_t a, b;
	uint32_t id;
} tok_seg;

typedef struct tok_segs {
	tok_seg *p;
	size_t n, cap;
	int oom;
} tok_segs;

void tok_segs_add(tok_segs *o, size_t a, size_t b, uint32_t id); /* sets oom on failure */
int tok_trie_add(tok_trie *t, const char *s, size_t n, int32_t token);
void tok_trie_free(tok_trie *t);
/* Splits s by the tokens of trie as tokenizers does (leftmost-longest;
 * single_word, lstrip and rstrip honoured): appends segments to out. */
void tok_added_split(const tok_added *ad, const tok_trie *trie, const char *s, size_t n, tok_segs *out);
void tok_added_free(tok_added *ad);

/* ---------------------------------------------------------------- normalizers */
typedef enum {
	TOK_N_NFC, TOK_N_NFD, TOK_N_NFKC, TOK_N_NFKD, TOK_N_LOWERCASE, TOK_N_REPLACE, TOK_N_PREPEND,
	TOK_N_STRIP
} tok_norm_kind;

typedef struct tok_norm {
	tok_norm_kind kind;
	tok_re re;                /* Replace */
	char *text;               /* Replace: the content; Prepend: the prefix */
	size_t text_len;
	int left, right;          /* Strip */
} tok_norm;

/* Normalizes s (n bytes) through the chain into out (cleared first); -1
 * with msg on a regex or Unicode error. */
int tok_normalize(const tok_norm *chain, size_t nchain, const char *s, size_t n, tbuf *out, char *msg,
                  size_t msglen);
void tok_norm_free(tok_norm *n);

/* ---------------------------------------------------------------- pre-tokenizers */
typedef enum {
	TOK_P_BYTELEVEL, TOK_P_SPLIT, TOK_P_METASPACE, TOK_P_DIGITS, TOK_P_WHITESPACE, TOK_P_WHITESPACE_SPLIT
} tok_pre_kind;

typedef struct tok_pre {
	tok_pre_kind kind;
	int prefix_space;         /* ByteLevel add_prefix_space */
	int use_regex;            /* ByteLevel */
	int fast_gpt2;            /* the GPT-2 pattern, split by pretok.c instead of the regex */
	tok_re re;                /* ByteLevel (use_regex), Split, Whitespace */
	tok_behavior behavior;    /* Split */
	int invert;               /* Split */
	uint32_t replacement;     /* Metaspace */
	char rep[4];              /* Metaspace: the replacement as UTF-8 */
	size_t rep_len;
	int prepend;              /* Metaspace: 0 never, 1 always, 2 first */
	int split;                /* Metaspace */
	int individual;           /* Digits */
	/* scratch, one set per stage (stages run nested) */
	tbuf buf, buf2;
	tok_spans spans;
} tok_pre;

void tok_pre_free(tok_pre *p);
/* GPT-2's pattern, which ByteLevel splits with when use_regex is on. */
extern const char tok_gpt2_pattern[];

/* ---------------------------------------------------------------- BPE */
/* A slot of the merge map (its layout is also tok_cache.c's file format). */
typedef struct tok_mslot {
	uint64_t key;             /* (left << 32 | right) + 1; 0 = empty */
	uint32_t rank;
	uint32_t pad;             /* 0 */
} tok_mslot;

typedef struct tok_bpe {
	int byte_fallback, ignore_merges, fuse_unk;
	int64_t unk;              /* the unk_token's id, or -1 */
	uint32_t byte_tok[256];   /* <0xXX> ids for byte_fallback, TOK_NONE when absent */
	/* merges: (left, right) -> rank; rank -> merged id */
	tok_mslot *mslot;
	size_t mcap;
	uint32_t *mout;
	size_t nmerges;
	int borrowed;             /* mslot and mout lie in the load cache's map */
	/* cache: piece -> ids */
	uint64_t *ckey;           /* tag << 32 | entry + 1 */
	size_t ccap, ncache;
	uint32_t *cent;           /* per entry: key offset, key length, ids offset, ids count */
	tbuf ckeys;
	tids cids;
	/* scratch for one word */
	struct tok_sym *sym;
	struct tok_merge_q *heap;
	size_t sym_cap, heap_cap;
} tok_bpe;

/* The merges' map, for nmerges merges. */
int tok_bpe_alloc_merges(tok_bpe *m, size_t nmerges);
/* Records merge number rank (left + right -> out). A pair given twice
 * keeps its later rank, as a map built from the list in order. */
void tok_bpe_put_merge(tok_bpe *m, uint32_t left, uint32_t right, uint32_t rank, uint32_t out);
/* Appends the ids of one pre-token (escaped UTF-8) to out. */
void tok_bpe_word(tok_bpe *m, const tok_vocab *v, const char *s, size_t n, tids *out);
void tok_bpe_free(tok_bpe *m);

/* ---------------------------------------------------------------- post-processors */
typedef struct tok_post {
	int template;             /* 0: ByteLevel (offsets only: nothing to do) */
	uint32_t *ids;            /* the single template with the sequence as TOK_NONE */
	size_t n;
} tok_post;

/* ---------------------------------------------------------------- decoders */
typedef enum {
	TOK_D_BYTELEVEL, TOK_D_REPLACE, TOK_D_BYTEFALLBACK, TOK_D_FUSE, TOK_D_STRIP, TOK_D_METASPACE
} tok_dec_kind;

typedef struct tok_dec {
	tok_dec_kind kind;
	tok_re re;                /* Replace */
	char *text;               /* Replace content */
	size_t text_len;
	uint32_t ch;              /* Strip content; Metaspace replacement */
	char ch_utf8[4];          /* ch as UTF-8 */
	size_t ch_len;
	size_t start, stop;       /* Strip */
	int prepend;              /* Metaspace: 0 never */
} tok_dec;

/* A list of token strings on their way through the decoders. */
typedef struct tok_strs {
	tbuf text;
	tok_spans at;             /* each token's bytes in text */
} tok_strs;

/* Runs the chain over the tokens (first is the index of tokens[0] in the
 * whole sequence: Metaspace treats token 0 apart) and appends the joined
 * bytes to out. No decoder: the tokens joined with spaces. -1 with msg. */
int tok_decode_chain(const tok_dec *chain, size_t n, int has_decoder, tok_strs *toks, size_t first, tbuf *out,
                     char *msg, size_t msglen);
void tok_dec_free(tok_dec *d);
void tok_strs_free(tok_strs *s);

/* ---------------------------------------------------------------- the tokenizer */
struct saex_tok {
	tok_vocab vocab;
	tok_added added;
	tok_norm *norm;
	size_t nnorm;
	tok_pre *pre;
	size_t npre;
	tok_bpe bpe;
	tok_post *post;
	size_t npost;
	tok_dec *dec;
	size_t ndec;
	int has_decoder;
	int byte_level;           /* a ByteLevel pre-tokenizer maps bytes to characters */
	int64_t bos;
	/* scratch of one encode */
	tbuf in, normed;
	tok_segs segs, nsegs;
	/* saex_tok_bytes: each token alone through the decoders, made on demand */
	struct tok_lone *lone;
	/* the load cache's entry, mapped, when the tables were read from it */
	void *cache_map;
	size_t cache_len;
};

/* The byte-level alphabet: the character of each byte and back. */
uint32_t tok_byte_char(unsigned b);
int tok_char_byte(uint32_t cp);              /* -1 outside the alphabet */

/* Pre-tokenizes one normalized segment through stages k.. and the model,
 * appending ids. first: the segment starts the text. -1 with msg. */
int tok_pre_run(saex_tok *t, size_t k, const char *s, size_t n, int first, tids *out, char *msg, size_t msglen);

/* json_load.c */
saex_tok *tok_new(void);
/* tokenizer.c: the BOS and saex_tok_bytes' table, once a loader has
 * built the pipeline. */
int tok_finish(saex_tok *t, char *err, size_t errlen);
/* GPT-2's pipeline around a vocabulary already in t->vocab and merges:
 * ByteLevel with its pattern, BPE, ByteLevel decoder. */
int tok_gpt2_pipeline(saex_tok *t, char *err, size_t errlen);

#endif
