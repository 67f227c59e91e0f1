/* esc.c - terminal-safe escaping of untrusted text. See saex.h. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "esc.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t saex_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; v = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; v = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Unicode 15.0's format characters (general category Cf): the Bidi_Control
 * characters (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the
 * zero-width characters and joiners, U+FEFF, interlinear annotation and
 * tag characters. None is visible on its own, and terminals disagree on
 * their width; the bidirectional ones reorder the text around them. */
static const struct { uint32_t lo, hi; } esc_cf[] = {
	{0xad, 0xad}, {0x600, 0x605}, {0x61c, 0x61c}, {0x6dd, 0x6dd}, {0x70f, 0x70f}, {0x890, 0x891},
	{0x8e2, 0x8e2}, {0x180e, 0x180e}, {0x200b, 0x200f}, {0x202a, 0x202e}, {0x2060, 0x2064},
	{0x2066, 0x206f}, {0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
	{0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
};

int esc_is_format_control(uint32_t cp)
{
	if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) /* C1; line/para separators */
		return 1;
	if (cp < esc_cf[0].lo)
		return 0;
	for (size_t i = 0; i < SAEX_ARRAY_LEN(esc_cf); i++)
		if (cp >= esc_cf[i].lo && cp <= esc_cf[i].hi)
			return 1;
	return 0;
}

int esc_token_byte(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
		return -1;
	int v = 0;
	for (int i = 3; i < 5; i++) {
		int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* SAEX_ESC_TOKEN: the ASCII character a tokenizer's spelling of it stands
 * for (U+2581 and U+0120 a space, U+010A a line break, U+0109 a tab), or 0. */
static char esc_token_char(uint32_t cp)
{
	return cp == 0x2581 || cp == 0x120 ? ' ' : cp == 0x10a ? '\n' : cp == 0x109 ? '\t' : 0;
}

/* A C0 control or DEL, escaped as flags say. */
static void esc_control(sb *out, unsigned c, unsigned flags)
{
	if (c == '\n') {
		if (flags & SAEX_ESC_NL_KEEP)
			sb_addc(out, '\n');
		else if (flags & SAEX_ESC_NL_ARROW)
			sb_adds(out, (flags & SAEX_ESC_ASCII) ? "\\n" : "\xe2\x86\xb5");
		else
			sb_adds(out, "\\n");
	} else if (c == '\t') {
		sb_adds(out, (flags & SAEX_ESC_TAB_KEEP) ? "\t" : "\\t");
	} else if (c == '\r') {
		sb_adds(out, "\\r");
	} else {
		sb_printf(out, "\\x%02x", c);
	}
}

void esc_append(sb *out, const char *str, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	sb_grow(out, n);
	if (flags & SAEX_ESC_TOKEN) {
		int b = esc_token_byte((const char *)s, n);
		if (b >= 0) {
			char c = (char)b;
			esc_append(out, &c, 1, flags & ~(unsigned)SAEX_ESC_TOKEN);
			return;
		}
	}
	while (i < n) {
		unsigned c = s[i];
		/* Fast path: a run of printable ASCII. */
		if (c >= 0x20 && c < 0x7f) {
			size_t j = i + 1;
			while (j < n && s[j] >= 0x20 && s[j] < 0x7f)
				j++;
			sb_add(out, s + i, j - i);
			i = j;
			continue;
		}
		if (c < 0x80) {
			esc_control(out, c, flags);
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = saex_utf8_decode(s + i, n - i, &cp);
		char tc = len && (flags & SAEX_ESC_TOKEN) ? esc_token_char(cp) : 0;
		if (len == 0) {
			sb_printf(out, "\\x%02x", c);
			i++;
		} else if (tc == ' ') {
			sb_addc(out, ' ');
			i += len;
		} else if (tc) {
			esc_control(out, (unsigned char)tc, flags);
			i += len;
		} else if (esc_is_format_control(cp) || (flags & SAEX_ESC_ASCII)) {
			sb_printf(out, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
			i += len;
		} else {
			sb_add(out, s + i, len);
			i += len;
		}
	}
}

int esc_token_breaks_line(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (esc_token_byte((const char *)s, n) == '\n')
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == 0xc4 && i + 1 < n && s[i + 1] == 0x8a)) /* U+010A */
			return 1;
	return 0;
}

int esc_is_clean(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = saex_utf8_decode(s + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || cp == 0x7f || esc_is_format_control(cp))
			return 0;
		i += len;
	}
	return 1;
}

char *saex_escape(const char *s, size_t n, unsigned flags)
{
	sb b = {0};
	esc_append(&b, s, n, flags);
	if (!b.p)
		return xstrdup("");
	return b.p;
}

unsigned esc_locale_flags(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0) ? 0 : SAEX_ESC_ASCII;
}

int esc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = saex_utf8_decode(s + i, n - i, &cp);
		if (k == 0 || cp == 0)
			return 0;
		i += k;
	}
	return 1;
}

void esc_utf8_fix(sb *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	sb_grow(out, n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = saex_utf8_decode(s + i, n - i, &cp);
		if (k == 0) {
			sb_adds(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		sb_add(out, s + i, k);
		i += k;
	}
}
