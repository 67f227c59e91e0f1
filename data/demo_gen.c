/* demo_gen.c - writes saex's embedded demo into OUTDIR:
 *   OUTDIR/demo-model/   config.json, model.safetensors, vocab.json, merges.txt
 *   OUTDIR/demo-sae/     cfg.json, sae_weights.safetensors (SAELens v6)
 *   OUTDIR/demo-corpus.txt  one generated document a line
 *   OUTDIR/demo-np/      model.jsonl, release.jsonl, sourceset.jsonl and
 *                        explanations/demo.jsonl for `saex import`
 * A constructed model, not a trained one: see demo_net.c for how its
 * weights mean what they mean. The same files on every run and machine.
 *
 * usage: demo_gen OUTDIR */
#include "config.h"
#include "demo_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int mkdir_in(const char *dir, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, name);
	if (mkdir(out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "demo_gen: %s: %s\n", out, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: demo_gen OUTDIR\n");
		return 2;
	}
	const char *out = argv[1];
	char model[4096], sae[4096], np[4096];
	if (mkdir(out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "demo_gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (mkdir_in(out, "demo-model", model, sizeof model) || mkdir_in(out, "demo-sae", sae, sizeof sae) ||
	    mkdir_in(out, "demo-np", np, sizeof np))
		return 1;
	static demo_corpus c;
	static demo_vocab v;
	demo_corpus_make(&c, 20240601);
	demo_vocab_build(&v, &c);
	FILE *f = demo_open(out, "demo-corpus.txt");
	if (!f)
		return 1;
	for (int i = 0; i < DEMO_LINES; i++)
		fprintf(f, "%s\n", c.text[i]);
	int rc = demo_close(f, out, "demo-corpus.txt");
	if (!rc)
		rc = demo_vocab_write(&v, model);
	if (!rc)
		rc = demo_model_write(&v, &c, model);
	if (!rc)
		rc = demo_sae_write(&v, sae);
	if (!rc)
		rc = demo_catalog_write(np);
	demo_corpus_free(&c);
	free(v.merge);
	return rc ? 1 : 0;
}
