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

/* Code points that are not controls in the C sense but still change how a
 * terminal lays out or orders the text around them. */
static int esc_is_format_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||        /* C1 controls */
	       cp == 0x200e || cp == 0x200f ||      /* LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) ||    /* embeddings, overrides */
	       (cp >= 0x2066 && cp <= 0x2069) ||    /* isolates */
	       cp == 0x2028 || cp == 0x2029 ||      /* line/para separators */
	       cp == 0xfeff;                        /* BOM / ZWNBSP */
}

void esc_append(sb *out, const char *str, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	sb_grow(out, n);
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
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = saex_utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			sb_printf(out, "\\x%02x", c);
			i++;
		} else if (esc_is_format_control(cp) || (flags & SAEX_ESC_ASCII)) {
			sb_printf(out, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
			i += len;
		} else {
			sb_add(out, s + i, len);
			i += len;
		}
	}
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
