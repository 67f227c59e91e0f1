/* pretok.h - GPT-2's pre-tokenizer, written out by hand.
 *
 * GPT-2 splits text with the pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (case-sensitive; \s is the Unicode White_Space property) before byte-pair
 * merging. pretok_next gives the same pieces on valid UTF-8. GPT-2 works on
 * bytes, so any input must split: a byte that does not start a valid UTF-8
 * sequence counts as one character of the "other" class (not a letter,
 * number or space), exactly as if it were decoded with Python's
 * surrogateescape. Character classes come from unicode_tab.c (see
 * uni_version). */
#ifndef SAEX_PRETOK_H
#define SAEX_PRETOK_H

#include <stddef.h>

/* The end (exclusive) of the piece that starts at byte i of s (i < n). */
size_t pretok_next(const unsigned char *s, size_t n, size_t i);

#endif
