/* pretok.c - GPT-2's pre-tokenizer pattern by hand. See pretok.h. */
#include "config.h"
#include "pretok.h"
#include "saex.h"
#include "unicode_tab.h"

#include <string.h>

int uni_class(uint32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
			return UNI_LETTER;
		if (cp >= '0' && cp <= '9')
			return UNI_NUMBER;
		if (cp == ' ' || (cp >= 0x09 && cp <= 0x0d))
			return UNI_SPACE;
		return UNI_OTHER;
	}
	size_t lo = 0, hi = uni_nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < uni_ranges[mid].lo)
			hi = mid;
		else if (cp > uni_ranges[mid].hi)
			lo = mid + 1;
		else
			return uni_ranges[mid].cls;
	}
	return UNI_OTHER;
}

/* The class of the character at byte i (< n) and its length in bytes; a
 * byte that does not start valid UTF-8 is one "other" character. */
static int pt_char(const unsigned char *s, size_t n, size_t i, size_t *len)
{
	uint32_t cp;
	if (s[i] < 0x80) {
		*len = 1;
		return uni_class(s[i]);
	}
	size_t k = saex_utf8_decode(s + i, n - i, &cp);
	if (k == 0) {
		*len = 1;
		return UNI_OTHER;
	}
	*len = k;
	return uni_class(cp);
}

/* The end of the run of characters of class cls starting at byte i. */
static size_t pt_run(const unsigned char *s, size_t n, size_t i, int cls)
{
	size_t len;
	while (i < n && pt_char(s, n, i, &len) == cls)
		i += len;
	return i;
}

/* 's 't 're 've 'm 'll 'd at byte i: the length matched, or 0. */
static size_t pt_contraction(const unsigned char *s, size_t n, size_t i)
{
	if (s[i] != '\'' || i + 1 >= n)
		return 0;
	unsigned char a = s[i + 1], b = i + 2 < n ? s[i + 2] : 0;
	if (a == 's' || a == 't' || a == 'm' || a == 'd')
		return 2;
	if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
		return 3;
	return 0;
}

size_t pretok_next(const unsigned char *s, size_t n, size_t i)
{
	size_t len, k = pt_contraction(s, n, i);
	if (k)
		return i + k;
	int cls = pt_char(s, n, i, &len);
	/* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': one optional space */
	if (s[i] == ' ' && i + 1 < n) {
		size_t len1;
		int next = pt_char(s, n, i + 1, &len1);
		if (next != UNI_SPACE)
			return pt_run(s, n, i + 1, next);
	}
	if (cls != UNI_SPACE)
		return pt_run(s, n, i, cls);
	/* '\s+(?!\S)': the whole run at the end of the text, else the run less
	 * its last character when that leaves at least one; then '\s+'. */
	size_t last = i, j = i;
	while (j < n && pt_char(s, n, j, &len) == UNI_SPACE) {
		last = j;
		j += len;
	}
	if (j == n || last == i)
		return j;
	return last;
}
