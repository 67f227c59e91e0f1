/* fuzz_fid.c - libFuzzer harness for the feature-id parser (src/core/base/fid.c):
 * the input is one id as typed or pasted (model/source/index,
 * model@source:index or a Neuronpedia URL). A parsed id must format back
 * to a string that parses to the same id. */
#include "config.h"
#include "saex.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	saex_fid f, g;
	const char *why = NULL;
	(void)saex_fid_valid_name(s);
	if (saex_fid_parse(s, &f, &why) == 0) {
		char buf[2 * SAEX_ID_MAX + 64], url[2 * SAEX_ID_MAX + 96];
		if (saex_fid_format(&f, buf, sizeof buf) >= (int)sizeof buf ||
		    saex_fid_url(&f, url, sizeof url) >= (int)sizeof url)
			abort();
		if (saex_fid_parse(buf, &g, &why) != 0 || saex_fid_parse(url, &g, &why) != 0 ||
		    strcmp(f.model, g.model) != 0 || strcmp(f.source, g.source) != 0 ||
		    f.index != g.index)
			abort();
	} else if (!why) {
		abort();
	}
	free(s);
	return 0;
}
