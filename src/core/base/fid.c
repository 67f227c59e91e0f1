/* fid.c - feature ids: parsing and formatting. See saex.h. */
#include "config.h"
#include "saex.h"

#include <stdio.h>
#include <string.h>

static int fid_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '+';
}

static int fid_copy_name(char *dst, const char *s, size_t n)
{
	if (n == 0 || n >= SAEX_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!fid_name_char((unsigned char)s[i]))
			return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

int saex_fid_valid_name(const char *s)
{
	char tmp[SAEX_ID_MAX];
	return fid_copy_name(tmp, s, strlen(s)) == 0;
}

static int fid_parse_index(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 16)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v >= (INT64_C(1) << 53))
		return -1;
	*out = v;
	return 0;
}

/* Parses s (no URL prefix) as model/source/index or model@source:index. */
static int fid_parse_plain(const char *s, saex_fid *out, const char **why)
{
	size_t len = strlen(s);
	/* A URL may carry a query string or a trailing slash. */
	const char *q = strpbrk(s, "?#");
	if (q)
		len = (size_t)(q - s);
	if (len && s[len - 1] == '/')
		len--;

	const char *a, *b;
	size_t la, lb, lc;
	const char *c;
	const char *at = memchr(s, '@', len);
	if (at) {
		const char *colon = memchr(at, ':', len - (size_t)(at - s));
		if (!colon) {
			*why = "expected model@source:index";
			return -1;
		}
		a = s; la = (size_t)(at - s);
		b = at + 1; lb = (size_t)(colon - b);
		c = colon + 1; lc = len - (size_t)(c - s);
	} else {
		const char *s1 = memchr(s, '/', len);
		const char *s2 = s1 ? memchr(s1 + 1, '/', len - (size_t)(s1 + 1 - s)) : NULL;
		if (!s1 || !s2) {
			*why = "expected model/source/index or model@source:index";
			return -1;
		}
		a = s; la = (size_t)(s1 - s);
		b = s1 + 1; lb = (size_t)(s2 - b);
		c = s2 + 1; lc = len - (size_t)(c - s);
	}
	if (fid_copy_name(out->model, a, la) != 0) {
		*why = "bad model id (1-127 characters of A-Z a-z 0-9 . _ + -)";
		return -1;
	}
	if (fid_copy_name(out->source, b, lb) != 0) {
		*why = "bad source id (1-127 characters of A-Z a-z 0-9 . _ + -)";
		return -1;
	}
	if (fid_parse_index(c, lc, &out->index) != 0) {
		*why = "bad feature index (a non-negative decimal number)";
		return -1;
	}
	return 0;
}

int saex_fid_parse(const char *s, saex_fid *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "empty feature id";
		return -1;
	}
	/* Strip a Neuronpedia URL prefix. A model may itself be named like
	 * one ("neuronpedia.org/x/1" as formatted by saex_fid_format): when
	 * the rest does not parse, the whole string is tried as an id. */
	static const char *const prefixes[] = {
		"https://www.neuronpedia.org/", "https://neuronpedia.org/",
		"http://www.neuronpedia.org/", "http://neuronpedia.org/",
		"www.neuronpedia.org/", "neuronpedia.org/",
	};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t pl = strlen(prefixes[i]);
		if (strncmp(s, prefixes[i], pl) == 0) {
			saex_fid tmp;
			const char *why2;
			if (fid_parse_plain(s + pl, out, why) == 0)
				return 0;
			if (fid_parse_plain(s, &tmp, &why2) != 0)
				return -1; /* the message about the URL's own id */
			*out = tmp;
			return 0;
		}
	}
	return fid_parse_plain(s, out, why);
}

int saex_fid_format(const saex_fid *f, char *buf, size_t n)
{
	return snprintf(buf, n, "%s/%s/%lld", f->model, f->source, (long long)f->index);
}

int saex_fid_url(const saex_fid *f, char *buf, size_t n)
{
	return snprintf(buf, n, "https://neuronpedia.org/%s/%s/%lld", f->model, f->source,
	                (long long)f->index);
}

const char *saex_version(void)
{
	return PACKAGE_VERSION;
}
