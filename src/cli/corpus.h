/* corpus.h - saex build's corpus: documents read from a text or JSONL file,
 * tokenized and cut into prompts.
 *
 * Formats: JSONL (the name ends in .jsonl, or the first byte that is not
 * white space is '{'): one JSON object a line with a "text" string, blank
 * lines skipped. Otherwise plain text: when the file holds a blank line
 * (empty or only spaces, tabs and CR) documents are the paragraphs between
 * blank lines (their inner newlines kept), else each non-empty line is a
 * document (a trailing CR dropped).
 *
 * Prompts: each document is tokenized on its own; with bos set and a BOS
 * token (<|endoftext|>) its ids are cut into pieces of ctx - 1 and each
 * piece becomes BOS + piece (as TransformerLens prepends BOS for the
 * model's family: saex_model_config.prepend_bos), so prompts hold at most
 * ctx tokens and a document's last piece may be shorter. Without one the
 * pieces are ctx long. Reading stops after max_prompts prompts (0: all).
 *
 * Reading streams (plain or gzip, a UTF-8 byte-order mark skipped): line by
 * line, stopping at max_prompts, with memory for the longest line and the
 * prompts' ids. A line, or a paragraph, longer than JSONL_MAX_LINE (16 MiB)
 * is an error that says so. Without max_prompts reading stops once
 * CORPUS_MAX_TOKENS token ids are kept (capped is then set). A plain-text
 * file is first read through once for the blank-line rule; a pipe, which
 * can be read only once, is looked at JSONL_MAX_LINE bytes ahead for it.
 * What is not a file or a pipe (a folder, a device) is refused by name.
 *
 * Ownership: corpus_free releases what corpus_read filled in. */
#ifndef SAEX_CORPUS_H
#define SAEX_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include "saex.h"
#include "util.h"

typedef struct corpus {
	uint32_t *ids;      /* every prompt's ids, one after another */
	size_t *off;        /* prompt p is ids[off[p] .. off[p + 1]) */
	size_t n;           /* prompts */
	size_t n_docs;      /* documents used */
	int jsonl;          /* the format read */
	int paragraphs;     /* plain text split at blank lines */
	int capped;         /* stopped at CORPUS_MAX_TOKENS */
} corpus;

/* Token ids kept when no prompt count is given (4 bytes each: 512 MiB). */
#define CORPUS_MAX_TOKENS ((size_t)1 << 27)

/* Reads path. Errors (code 2): the file cannot be read or is a folder, a
 * JSONL line is malformed ("path:line: reason"), or there is no text at
 * all. */
int corpus_read(const char *path, saex_tok *tok, int bos, size_t ctx, size_t max_prompts, corpus *out,
                saex_err *e);
void corpus_free(corpus *c);
/* The evaluation's exclusions (saex_eval.h): every special token of the
 * tokenizer and its BOS (the token corpus_read puts first), as SAELens
 * leaves out every special token. o->exclude points into *ids, a list the
 * caller frees once saex_eval_new has copied it; o's other fields are left
 * as they are. */
void corpus_eval_opts(const saex_tok *tok, uint32_t **ids, saex_eval_opts *o);
/* 0 when every id is below vocab (the model's vocabulary size), else code 2
 * with "path: token id N is past the model's vocabulary size V". */
int corpus_check_vocab(const corpus *c, const char *path, uint32_t vocab, saex_err *e);

#endif
