/* esc.h - internal escaping helpers on top of saex_escape (see saex.h). */
#ifndef SAEX_ESC_H
#define SAEX_ESC_H

#include "util.h"

#include <stdint.h>

/* Appends the escaped form of n bytes at s to out (flags: SAEX_ESC_*). */
void esc_append(sb *out, const char *s, size_t n, unsigned flags);

/* 1 when the bytes need no escaping at all. */
int esc_is_clean(const char *s, size_t n);

/* 1 when code point cp is escaped whatever the flags: a C1 control, a
 * format character (Unicode category Cf: the bidirectional controls, the
 * zero-width characters, U+FEFF, ...) or U+2028/U+2029. The one list of
 * them, for terminal text and for JSON alike. */
int esc_is_format_control(uint32_t cp);

/* 1 when a token (bytes as its tokenizer spells it) holds a line break as
 * SAEX_ESC_TOKEN reads it: '\n', U+010A or the byte token <0x0A>. */
int esc_token_breaks_line(const char *s, size_t n);

#endif
