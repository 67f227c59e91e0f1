/* frec.c - see frec.h */
#include "config.h"
#include "frec.h"
#include "pack.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int frec_pack(sb *out, const frec *r)
{
	sb raw = {0};
	pack_floats(&raw, r->freq_h, r->n_freq);
	pack_floats(&raw, r->freq_v, r->n_freq);
	pack_floats(&raw, r->lhist_h, r->n_lhist);
	pack_floats(&raw, r->lhist_v, r->n_lhist);
	pack_uvarint(&raw, r->n_pos);
	pack_ids(&raw, r->pos_ids, r->n_pos);
	pack_floats(&raw, r->pos_v, r->n_pos);
	pack_uvarint(&raw, r->n_neg);
	pack_ids(&raw, r->neg_ids, r->n_neg);
	pack_floats(&raw, r->neg_v, r->n_neg);
	pack_uvarint(&raw, r->n_cos);
	pack_ids(&raw, r->cos_idx, r->n_cos);
	pack_floats(&raw, r->cos_v, r->n_cos);
	pack_uvarint(&raw, r->extra ? r->extra_len : 0);
	sb_add(&raw, r->extra ? r->extra : "", r->extra ? r->extra_len : 0);
	int rc = zpack(out, raw.p, raw.n, 6);
	sb_free(&raw);
	return rc;
}

/* One id list with its values: a count, the ids, the values. */
static int frec_unpack_list(const unsigned char **p, const unsigned char *end, arena *a, const uint32_t **ids,
                            const float **vals, size_t *n)
{
	uint64_t cnt;
	size_t k;
	float *v;
	if (unpack_uvarint(p, end, &cnt) || cnt > (uint64_t)(end - *p))
		return -1;
	uint32_t *u = arena_alloc(a, (cnt + 1) * sizeof *u);
	if (unpack_ids(p, end, u, cnt) || unpack_floats(p, end, a, &v, &k) || k != cnt)
		return -1;
	*ids = u;
	*vals = v;
	*n = (size_t)cnt;
	return 0;
}

int frec_unpack(const void *blob, size_t len, arena *a, frec *r)
{
	memset(r, 0, sizeof *r);
	unsigned char *raw;
	size_t n, k;
	float *fh, *fv, *lh, *lv;
	if (!blob || zunpack(blob, len, a, &raw, &n))
		return -1;
	const unsigned char *p = raw, *end = raw + n;
	if (unpack_floats(&p, end, a, &fh, &r->n_freq) || unpack_floats(&p, end, a, &fv, &k) || k != r->n_freq ||
	    unpack_floats(&p, end, a, &lh, &r->n_lhist) || unpack_floats(&p, end, a, &lv, &k) || k != r->n_lhist)
		return -1;
	r->freq_h = fh;
	r->freq_v = fv;
	r->lhist_h = lh;
	r->lhist_v = lv;
	uint64_t xl;
	if (frec_unpack_list(&p, end, a, &r->pos_ids, &r->pos_v, &r->n_pos) ||
	    frec_unpack_list(&p, end, a, &r->neg_ids, &r->neg_v, &r->n_neg) ||
	    frec_unpack_list(&p, end, a, &r->cos_idx, &r->cos_v, &r->n_cos) || unpack_uvarint(&p, end, &xl) ||
	    xl != (uint64_t)(end - p))
		return -1;
	r->extra = xl ? arena_strndup(a, (const char *)p, (size_t)xl) : NULL;
	r->extra_len = (size_t)xl;
	return 0;
}

/* The extra JSON of both, merged key by key (the new one's keys winning). */
static int frec_merge_extra(const frec *stored, const frec *in, arena *a, frec *out)
{
	if (!stored->extra || !in->extra) {
		const frec *src = in->extra ? in : stored;
		out->extra = src->extra;
		out->extra_len = src->extra_len;
		return 0;
	}
	json_t *o = json_loadb(stored->extra, stored->extra_len, 0, NULL);
	json_t *n = json_loadb(in->extra, in->extra_len, 0, NULL);
	int rc = 0;
	if (json_is_object(o) && json_is_object(n)) {
		if (json_object_update(o, n) != 0) {
			rc = -1;
		} else {
			char *d = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
			if (d) {
				out->extra = arena_strdup(a, d);
				out->extra_len = strlen(d);
			} else {
				rc = -1;
			}
			free(d);
		}
	} else {
		/* a stored extra that does not parse is replaced */
		out->extra = in->extra;
		out->extra_len = in->extra_len;
	}
	json_decref(o);
	json_decref(n);
	return rc;
}

int frec_merge(const frec *stored, const frec *in, arena *a, frec *out)
{
	*out = *stored;
	if (in->n_freq) {
		out->freq_h = in->freq_h;
		out->freq_v = in->freq_v;
		out->n_freq = in->n_freq;
	}
	if (in->n_lhist) {
		out->lhist_h = in->lhist_h;
		out->lhist_v = in->lhist_v;
		out->n_lhist = in->n_lhist;
	}
	if (in->n_pos) {
		out->pos_ids = in->pos_ids;
		out->pos_v = in->pos_v;
		out->n_pos = in->n_pos;
	}
	if (in->n_neg) {
		out->neg_ids = in->neg_ids;
		out->neg_v = in->neg_v;
		out->n_neg = in->n_neg;
	}
	if (in->n_cos) {
		out->cos_idx = in->cos_idx;
		out->cos_v = in->cos_v;
		out->n_cos = in->n_cos;
	}
	return frec_merge_extra(stored, in, a, out);
}
