/* fuzz_jsonl.c - libFuzzer harness for Neuronpedia JSONL rows, through the
 * importer's own path: import_paths on one file, which streams it with
 * src/import/jsonl.c, parses and decodes each line on the parser thread
 * (import_pipe.c: json_loadb, import_sniff, import_np_decode with the
 * typed getters of import_json.c) and stores the rows (import_np_store,
 * the store's packing of activations) in a fresh store.
 *
 * The first byte picks the import options (mod 8): kind from the content
 * (0; 1: the file is named .json, so read as JSON documents: API features,
 * arrays of rows, SAEDashboard batches streamed by import_doc.c),
 * --kind features (2), activations (3), explanations (4), --format
 * saedashboard (5: SAEDashboard documents), --strict (6), or
 * --model/--source given (7). The rest is the file. */
#include "config.h"
#include "import.h"
#include "fuzz_store.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int mode = data[0] % 8;
	static const import_kind kinds[8] = {
		IMP_AUTO, IMP_AUTO, IMP_FEATURES, IMP_ACTIVATIONS, IMP_EXPLANATIONS,
		IMP_AUTO, IMP_AUTO, IMP_AUTO,
	};
	const char *path = fz_path(mode == 5 || mode == 1 ? "batch-0.json" : "batch-0.jsonl");
	fz_write(path, data + 1, size - 1);
	import_opts o = {0};
	o.kind = kinds[mode];
	o.saedashboard = mode == 5;
	o.strict = mode == 6;
	if (mode == 7) {
		o.model = "gpt2-small";
		o.source = "6-res-jb";
	}
	o.log = fz_devnull();
	store *s = fz_store_fresh(NULL, 0);
	import_stats st;
	saex_err e = {{0}, 0};
	char *paths[1] = {(char *)path};
	int rc = import_paths(s, paths, 1, &o, &st, &e);
	if (rc != 0 && rc != 2)
		abort();
	if (rc == 2 && !e.msg[0])
		abort(); /* a failed file must say why */
	store_close(s);
	return 0;
}
