/* fuzz_csv.c - libFuzzer harness for the explanations CSV reader
 * (csvio_import_explanations in src/import/csvio.c, through libcsv): the input is
 * the CSV file, read into a fresh store that holds the sources
 * gpt2-small/6-res-jb and gpt2-small/0-res-jb, so rows naming them reach
 * store_put_explanation. Odd-length inputs run with --strict. */
#include "config.h"
#include "csvio.h"
#include "fuzz_store.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sources[] = {"gpt2-small/6-res-jb", "gpt2-small/0-res-jb"};
	const char *path = fz_path("explanations.csv");
	fz_write(path, data, size);
	store *s = fz_store_fresh(sources, 2);
	csvio_stats st;
	saex_err e = {{0}, 0};
	int rc = csvio_import_explanations(s, path, (int)(size & 1), fz_devnull(), &st, &e);
	if (rc != 0 && rc != 2)
		abort();
	if (rc == 2 && !e.msg[0])
		abort(); /* a failure must say why */
	if (st.added + st.unchanged + st.bad > st.rows)
		abort();
	store_close(s);
	return 0;
}
