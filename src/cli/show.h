/* show.h - a feature as text (for people) or as JSON with Neuronpedia's
 * feature-API field names (for scripts). Pure formatting: no I/O. */
#ifndef SAEX_SHOW_H
#define SAEX_SHOW_H

#include "cli.h"
#include "store.h"

typedef struct show_opts {
	size_t examples;  /* examples to print (text) */
	int context;      /* tokens on each side of the max token */
	int local;        /* made here (store_source_local): no Neuronpedia URL */
} show_opts;

/* Appends the text form of f to out. All data text is escaped. */
void show_text(sb *out, const store_feature *f, const show_opts *o, const cli_style *cs);
/* A new JSON object (caller decrefs) for f. */
json_t *show_json(const store_feature *f);

#endif
