/* esc.h - internal escaping helpers on top of saex_escape (see saex.h). */
#ifndef SAEX_ESC_H
#define SAEX_ESC_H

#include "util.h"

#include <stdint.h>

/* Appends the escaped form of n bytes at s to out (flags: SAEX_ESC_*). */
void esc_append(sb *out, const char *s, size_t n, unsigned flags);

/* SAEX_ESC_ASCII when the locale's character set is not UTF-8, else 0:
 * text for the terminal is then escaped down to ASCII, since the bytes of a
 * UTF-8 sequence (0x80-0x9f among them) are C1 controls to an 8-bit
 * terminal. Every path that writes data text to a terminal ORs it in. */
unsigned esc_locale_flags(void);

/* Appends the n bytes at s to out with each byte that is not part of a
 * valid UTF-8 sequence replaced by U+FFFD (what JSON can carry of text
 * that a tokenizer cut inside a character). */
void esc_utf8_fix(sb *out, const char *s, size_t n);

/* 1 when the n bytes at s are valid UTF-8 (no NUL among them). */
int esc_utf8_valid(const char *s, size_t n);

/* 1 when the bytes need no escaping at all. */
int esc_is_clean(const char *s, size_t n);

/* 1 when code point cp is escaped whatever the flags: a C1 control, a
 * format character (Unicode category Cf: the bidirectional controls, the
 * zero-width characters, U+FEFF, ...) or U+2028/U+2029. The one list of
 * them, for terminal text and for JSON alike. */
int esc_is_format_control(uint32_t cp);

/* The byte a SentencePiece byte token "<0xHH>" stands for (the whole n
 * bytes at s), as Gemma's tokenizer and Neuronpedia's exports spell bytes
 * that byte fallback encodes; -1 when s is not one. */
int esc_token_byte(const char *s, size_t n);

/* 1 when a token (bytes as its tokenizer spells it) holds a line break as
 * SAEX_ESC_TOKEN reads it: '\n', U+010A or the byte token <0x0A>. */
int esc_token_breaks_line(const char *s, size_t n);

#endif
