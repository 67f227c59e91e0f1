/* esc.h - internal escaping helpers on top of saex_escape (see saex.h). */
#ifndef SAEX_ESC_H
#define SAEX_ESC_H

#include "util.h"

/* Appends the escaped form of n bytes at s to out (flags: SAEX_ESC_*). */
void esc_append(sb *out, const char *s, size_t n, unsigned flags);

/* 1 when the bytes need no escaping at all. */
int esc_is_clean(const char *s, size_t n);

#endif
