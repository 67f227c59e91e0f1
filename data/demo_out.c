/* demo_out.c - the demo's files: safetensors, JSON, and the catalog and
 * explanation records that `saex import` reads (Neuronpedia's export
 * layout: model.jsonl, release.jsonl, sourceset.jsonl, explanations/). */
#include "config.h"
#include "demo_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

FILE *demo_open(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		fprintf(stderr, "demo_gen: %s: %s\n", path, strerror(errno));
	return f;
}

int demo_close(FILE *f, const char *dir, const char *name)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "demo_gen: %s/%s: write error\n", dir, name);
		return -1;
	}
	return 0;
}

/* Tensors as little-endian float32 whatever the host's byte order. */
int demo_safetensors_write(const char *path, const demo_tensor *t, size_t n)
{
	char *h = NULL;
	size_t hn = 0;
	FILE *m = open_memstream(&h, &hn);
	if (!m)
		return -1;
	fputs("{\"__metadata__\":{\"format\":\"pt\"}", m);
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t numel = (uint64_t)t[i].shape[0] * (uint64_t)(t[i].ndim == 2 ? t[i].shape[1] : 1);
		fprintf(m, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld", t[i].name, (long long)t[i].shape[0]);
		if (t[i].ndim == 2)
			fprintf(m, ",%lld", (long long)t[i].shape[1]);
		fprintf(m, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
		        (unsigned long long)(off + 4 * numel));
		off += 4 * numel;
	}
	fputc('}', m);
	while ((hn = (size_t)ftell(m)) % 8)
		fputc(' ', m);
	fclose(m);
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "demo_gen: %s: %s\n", path, strerror(errno));
		free(h);
		return -1;
	}
	unsigned char b[8];
	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char)((uint64_t)hn >> (8 * k));
	fwrite(b, 1, 8, f);
	fwrite(h, 1, hn, f);
	free(h);
	for (size_t i = 0; i < n; i++) {
		size_t numel = (size_t)t[i].shape[0] * (size_t)(t[i].ndim == 2 ? t[i].shape[1] : 1);
		for (size_t k = 0; k < numel; k++) {
			uint32_t u;
			memcpy(&u, &t[i].data[k], 4);
			for (int q = 0; q < 4; q++)
				b[q] = (unsigned char)(u >> (8 * q));
			fwrite(b, 1, 4, f);
		}
	}
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "demo_gen: %s: write error\n", path);
		return -1;
	}
	return 0;
}

void demo_json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

#define DEMO_SAYS \
	"A constructed demo, not a real language model: saex's build made this 2-layer GPT-2-shaped " \
	"model and its SAE by hand from word lists (data/demo_gen.c). Its features mean what they " \
	"were built to mean (digits, capitalised words, sea vocabulary, punctuation, ...); its text " \
	"is a bigram memory of a generated corpus. Nothing here was trained."

int demo_catalog_write(const char *dir)
{
	/* Each record is head, the description (for those that have one), tail. */
	static const struct {
		const char *name, *head, *tail;
	} files[] = {
		{"model.jsonl", "{\"id\": \"saex-demo\", \"displayName\": \"saex demo (a constructed "
		                "model, not a real one)\", \"layers\": 2, \"dimension\": 256, "
		                "\"owner\": \"saex\"}\n", NULL},
		{"release.jsonl", "{\"name\": \"saex-demo\", \"descriptionShort\": \"Constructed demo "
		                  "model and SAE (not real)\", \"creatorName\": \"saex\", \"description\": ",
		 "}\n"},
		{"sourceset.jsonl", "{\"modelId\": \"saex-demo\", \"name\": \"demo\", \"releaseName\": "
		                    "\"saex-demo\", \"type\": \"res\", \"creatorName\": \"saex\", "
		                    "\"description\": ", "}\n"},
	};
	char sub[4096];
	snprintf(sub, sizeof sub, "%s/explanations", dir);
	if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "demo_gen: %s: %s\n", sub, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		FILE *f = demo_open(dir, files[i].name);
		if (!f)
			return -1;
		fputs(files[i].head, f);
		if (files[i].tail) {
			demo_json_str(f, DEMO_SAYS, strlen(DEMO_SAYS));
			fputs(files[i].tail, f);
		}
		if (demo_close(f, dir, files[i].name))
			return -1;
	}
	FILE *f = demo_open(sub, "demo.jsonl");
	if (!f)
		return -1;
	for (int k = 0; k < demo_n_features; k++) {
		char d[256];
		snprintf(d, sizeof d, "%s (constructed)", demo_feature_explanation(k));
		fprintf(f, "{\"modelId\": \"saex-demo\", \"layer\": \"1-demo\", \"index\": \"%d\", "
		        "\"description\": ", k);
		demo_json_str(f, d, strlen(d));
		fputs(", \"typeName\": \"constructed\", \"explanationModelName\": \"demo_gen\"}\n", f);
	}
	return demo_close(f, sub, "demo.jsonl");
}
