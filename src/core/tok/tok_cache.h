/* tok_cache.h - the tokenizer's load cache (tok_cache.c, not installed).
 *
 * A tokenizer.json of Gemma's size (33 MB, 262,144 tokens, half a million
 * merges) takes longer to parse than a warm forward pass of 64 tokens
 * through GPT-2; a new process (saex run, a live test's first load) paid
 * it every time. Once a load from the sources has succeeded, its
 * vocabulary and merge map (the tables the parse builds) and the rest of
 * the file (normalizer, pre-tokenizer, added tokens, ...; a few KB of
 * JSON, read by the same loader as the file's) are written to
 *   $SAEX_CACHE_DIR/tokenizers/, else $XDG_CACHE_HOME/saex/tokenizers/,
 *   else ~/.cache/saex/tokenizers/
 * in a file named by a hash of the sources' contents (so an edited file is
 * read from its sources again, never from an older entry). SAEX_NO_CACHE=1
 * turns it off. The cache is only ever a faster way to the same tokenizer:
 * an entry that cannot be read, is damaged (its own hash, sizes, and every
 * table index checked) or cannot be written is ignored without a word, and
 * the sources are read as before, their errors reported as before.
 *
 * Memory: a tokenizer read from its entry keeps the tables where they lie,
 * in a private map of the entry (shared with other processes through the
 * page cache; copied out only if something resizes them, tok_vocab_own),
 * unmapped by saex_tok_free. Deleting the entry or the folder meanwhile is
 * harmless; cutting an entry short in place (saex never writes one in
 * place) would fault the process, as it would with a mapped weight file.
 *
 * Threads: entries are written to a new file renamed into place, so that
 * processes and threads loading the same tokenizer at once each read a
 * whole entry or none. */
#ifndef SAEX_TOK_CACHE_H
#define SAEX_TOK_CACHE_H

#include "tok_int.h"

#include <jansson.h>

typedef struct tok_cache {
	uint64_t key[2];          /* the sources' contents, hashed */
	char *path;               /* the entry's file; NULL: no cache */
} tok_cache;

/* Hashes the nsrc source files, in order, and names the entry. -1 (and no
 * path) when caching is off or a source cannot be read: the load then
 * reads the sources and reports what is wrong with them. */
int tok_cache_open(tok_cache *c, const char *const *src, size_t nsrc);
void tok_cache_close(tok_cache *c);

/* Points t's vocabulary (the model's tokens and the added ones, flags of
 * the model's tokens only) and merge map into the entry, mapped (t owns the
 * map: cache_map), points *added at the added tokens' list (ids checked
 * against the vocabulary; in the map), and returns the rest of the
 * sources as JSON (caller decrefs: an object for tokenizer.json without
 * its added_tokens, null for vocab.json + merges.txt). NULL, with t's
 * tables left empty, when there is no usable entry. */
json_t *tok_cache_read(const tok_cache *c, saex_tok *t, const tok_added_tok **added, size_t *nadded);

/* Writes t's tables, its added tokens and rest (a document without
 * model.vocab, model.merges and added_tokens) as c's entry, once t has
 * loaded from its sources. */
void tok_cache_write(const tok_cache *c, const saex_tok *t, json_t *rest);

#endif
