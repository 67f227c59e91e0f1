/* load.c - a model folder: config.json through its family's description
 * (cfg.c), then the weights, from model.safetensors or the shards that
 * model.safetensors.index.json names, bound to the slots the model has.
 * Matrices stay as the file holds them (mapped; F32 used in place, F16 and
 * BF16 widened as they are used); norm weights and biases become float32
 * copies (Gemma's norms as 1 + w). Every failure is -1 or NULL with err
 * naming the file, never an abort. */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "tensor_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INDEX_NAME "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"

/* What binding the weights needs besides the model. */
typedef struct loader {
	saex_model *m;
	const char *dir;
	json_t *index;      /* the index file's object, or NULL */
	json_t *map;        /* its weight_map */
	char where[4096];   /* the file a missing tensor is reported against */
	const char *prefix; /* the body's tensor names start with it */
	char *err;
	size_t errlen;
} loader;

static int ld_oom(loader *L)
{
	return tensor_fail(L->err, L->errlen, "%s/config.json: out of memory for the model", L->dir);
}

/* Keeps p (malloc'ed) until the model is freed; -1 (p freed) when the list
 * cannot grow. */
static int ld_own(loader *L, void *p)
{
	saex_model *m = L->m;
	void **o = realloc(m->owned, (m->n_owned + 1) * sizeof *o);
	if (!o) {
		free(p);
		return ld_oom(L);
	}
	m->owned = o;
	m->owned[m->n_owned++] = p;
	return 0;
}

/* ---------------------------------------------------------------- files */

static int ld_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A shard's name as the index gives it: a file of the model's folder (no
 * folder part, not hidden), so nothing outside the folder is read. */
static int ld_shard_name_ok(const char *s)
{
	return s && *s && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\') && strlen(s) < 256;
}

static int ld_open_file(loader *L, const char *name)
{
	wfiles *w = &L->m->wf;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->name[i], name) == 0)
			return 0;
	char path[4096 + 256];
	snprintf(path, sizeof path, "%s/%s", L->dir, name);
	saex_safetensors **f = realloc(w->f, (w->n + 1) * sizeof *f);
	if (f)
		w->f = f;
	char **nm = realloc(w->name, (w->n + 1) * sizeof *nm);
	if (nm)
		w->name = nm;
	char *copy = f && nm ? strdup(name) : NULL;
	if (!copy)
		return ld_oom(L);
	if (!(w->f[w->n] = saex_safetensors_open(path, L->err, L->errlen))) {
		free(copy);
		return -1;
	}
	w->name[w->n++] = copy;
	return 0;
}

/* Opens the weights: model.safetensors, else every shard the index names. */
static int ld_open(loader *L)
{
	snprintf(L->where, sizeof L->where, "%s/%s", L->dir, SINGLE_NAME);
	if (ld_exists(L->where))
		return ld_open_file(L, SINGLE_NAME);
	snprintf(L->where, sizeof L->where, "%s/%s", L->dir, INDEX_NAME);
	if (!ld_exists(L->where))
		return tensor_fail(L->err, L->errlen, "%s: no %s or %s (saex reads safetensors; a pytorch_model.bin "
		                   "must be converted first)", L->dir, SINGLE_NAME, INDEX_NAME);
	if (!(L->index = tensor_json_object(L->where, L->err, L->errlen)))
		return -1;
	L->map = json_object_get(L->index, "weight_map");
	if (!json_is_object(L->map) || json_object_size(L->map) == 0)
		return tensor_fail(L->err, L->errlen, "%s: 'weight_map' is not an object naming the tensors' files",
		                   L->where);
	const char *key;
	json_t *v;
	json_object_foreach(L->map, key, v) {
		const char *s = json_string_value(v);
		if (!ld_shard_name_ok(s))
			return tensor_fail(L->err, L->errlen, "%s: tensor '%s' is in '%s', which is not a file of the model's "
			                   "folder", L->where, key, s ? s : "(not a string)");
		if (ld_open_file(L, s))
			return -1;
	}
	return 0;
}

/* The tensor named name and the file it is in (or the file that should
 * have held it), or NULL. */
static const saex_tensor *ld_find(loader *L, const char *name, const char **file)
{
	wfiles *w = &L->m->wf;
	*file = L->where;
	if (!L->map)
		return saex_safetensors_find(w->f[0], name);
	const char *shard = json_string_value(json_object_get(L->map, name));
	for (size_t i = 0; shard && i < w->n; i++)
		if (strcmp(w->name[i], shard) == 0) {
			*file = saex_safetensors_path(w->f[i]);
			return saex_safetensors_find(w->f[i], name);
		}
	return NULL;
}

/* ---------------------------------------------------------------- tensors */

/* prefix followed by fmt with its "%d" replaced by layer. */
static void ld_name(char *buf, size_t n, const char *prefix, const char *fmt, int layer)
{
	const char *at = strstr(fmt, "%d");
	if (at)
		snprintf(buf, n, "%s%.*s%d%s", prefix, (int)(at - fmt), fmt, layer, at + 2);
	else
		snprintf(buf, n, "%s%s", prefix, fmt);
}

static void ld_shape_str(char *buf, size_t n, int nd, const int64_t *d)
{
	sb b = {0};
	tensor_shape_str(&b, nd, d);
	snprintf(buf, n, "%s", b.p ? b.p : "[]");
	sb_free(&b);
}

/* The tensor name of exactly nd dims d, or NULL with err. */
static const saex_tensor *ld_tensor(loader *L, const char *name, int nd, const int64_t *d)
{
	const char *file;
	const saex_tensor *t = ld_find(L, name, &file);
	if (!t) {
		tensor_fail(L->err, L->errlen, "%s: tensor '%s' is missing", file, name);
		return NULL;
	}
	int ok = t->ndim == nd;
	for (int i = 0; ok && i < nd; i++)
		ok = t->shape[i] == d[i];
	if (!ok) {
		char got[160], want[160];
		ld_shape_str(got, sizeof got, t->ndim, t->shape);
		ld_shape_str(want, sizeof want, nd, d);
		tensor_fail(L->err, L->errlen, "%s: tensor '%s' has shape %s, expected %s", file, t->name, got, want);
		return NULL;
	}
	if (t->dtype == SAEX_OTHER) {
		tensor_fail(L->err, L->errlen, "%s: tensor '%s' is not F32, F16 or BF16", file, t->name);
		return NULL;
	}
	return t;
}

/* A matrix view of t: the map itself when it is aligned for its dtype on a
 * little-endian host, else an owned copy (float32 on a big-endian one). */
static int ld_matrix(loader *L, const saex_tensor *t, int trans, wmat *out)
{
	*out = (wmat){t->data, t->dtype, (size_t)t->shape[0], (size_t)t->shape[1], trans};
	size_t es = saex_dtype_size(t->dtype);
	if (tensor_host_le() && (uintptr_t)t->data % es == 0)
		return 0;
	if (!tensor_host_le()) {
		float *owned;
		const float *p = saex_tensor_f32(t, &owned);
		if (!p)
			return ld_oom(L);
		out->p = p;
		out->dtype = SAEX_F32;
		return owned ? ld_own(L, owned) : 0;
	}
	void *c = malloc(t->nbytes ? t->nbytes : 1);
	if (!c)
		return ld_oom(L);
	memcpy(c, t->data, t->nbytes);
	out->p = c;
	return ld_own(L, c);
}

/* t as float32 (plus one for Gemma's norm weights), owned. */
static const float *ld_vector(loader *L, const saex_tensor *t, int plus_one)
{
	float *v = malloc((t->numel ? t->numel : 1) * sizeof *v);
	if (!v) {
		ld_oom(L);
		return NULL;
	}
	tensor_to_f32(v, t->data, t->numel, t->dtype);
	if (plus_one)
		for (uint64_t i = 0; i < t->numel; i++)
			v[i] += 1.0f;
	return ld_own(L, v) ? NULL : v;
}

static int ld_is_norm(wslot s)
{
	return s == W_NORM_F || s == W_LN1 || s == W_LN2 || s == W_QNORM || s == W_KNORM || s == W_ATTN_POST ||
	       s == W_MLP_POST;
}

/* Binds slot s of layer (-1: the model's) into *mat or *vec. 0 when the
 * model has no such tensor or it is bound; -1 with err. */
static int ld_slot(loader *L, wslot s, int layer, wmat *mat, const float **vec)
{
	const model_arch *a = &L->m->a;
	int64_t d[2];
	int nd = arch_shape(a, s, d);
	if (!nd)
		return 0;
	const char *fmt = a->fam->names[s];
	if (!fmt)
		return tensor_fail(L->err, L->errlen, "%s: the %s description names no tensor for slot %d", L->where,
		                   a->fam->name, (int)s);
	char name[256];
	ld_name(name, sizeof name, L->prefix, fmt, layer);
	const saex_tensor *t = ld_tensor(L, name, nd, d);
	if (!t)
		return -1;
	if (nd == 2)
		return ld_matrix(L, t, a->trans, mat);
	return (*vec = ld_vector(L, t, a->norm_plus_one && ld_is_norm(s))) ? 0 : -1;
}

/* The prefix of the body's names: the first of the family's under which
 * the embedding is found (the first when none is). */
static void ld_prefix(loader *L)
{
	const family *f = L->m->a.fam;
	L->prefix = f->prefixes[0];
	for (const char *const *p = f->prefixes; *p; p++) {
		char name[256];
		const char *file;
		ld_name(name, sizeof name, *p, f->names[W_EMBED], 0);
		if (ld_find(L, name, &file)) {
			L->prefix = *p;
			return;
		}
	}
}

/* W_U: the embedding when tied (or when the file has no unembedding),
 * else the first of the family's names found. */
static int ld_unembed(loader *L)
{
	saex_model *m = L->m;
	const model_arch *a = &m->a;
	char name[256];
	const char *file;
	ld_name(name, sizeof name, L->prefix, a->fam->names[W_EMBED], 0);
	const saex_tensor *src = ld_find(L, name, &file); /* found before */
	m->unembed = m->embed;
	for (const char *const *u = a->fam->unembed; !a->tied && *u; u++) {
		if (!ld_find(L, *u, &file))
			continue;
		int64_t d[2] = {a->vocab, a->d_model};
		if (!(src = ld_tensor(L, *u, 2, d)) || ld_matrix(L, src, 1, &m->unembed))
			return -1;
		break;
	}
	const wmat *w = &m->unembed;
	m->unembed_t = (saex_tensor){src->name, w->dtype, 2, {(int64_t)w->rows, (int64_t)w->cols},
	                             (uint64_t)w->rows * w->cols, w->p, w->rows * w->cols * saex_dtype_size(w->dtype)};
	return 0;
}

static int ld_blocks(loader *L)
{
	saex_model *m = L->m;
	const model_arch *a = &m->a;
	/* the last layer first: a config that claims more layers than the
	 * files hold fails here, before anything is sized by it */
	int64_t d[2];
	char name[256];
	ld_name(name, sizeof name, L->prefix, a->fam->names[W_LN1], a->n_layers - 1);
	if (!ld_tensor(L, name, arch_shape(a, W_LN1, d), d))
		return -1;
	if (!(m->layers = calloc((size_t)a->n_layers, sizeof *m->layers)))
		return ld_oom(L);
	for (int l = 0; l < a->n_layers; l++) {
		layer_w *w = &m->layers[l];
		w->sliding = arch_sliding(a, l);
		for (int s = W_FIRST_BLOCK; s < W_SLOTS; s++)
			if (ld_slot(L, (wslot)s, l, &w->m[s], &w->v[s]))
				return -1;
	}
	return 0;
}

static int ld_weights(loader *L)
{
	saex_model *m = L->m;
	const float *unused = NULL;
	wmat none;
	if (ld_open(L))
		return -1;
	ld_prefix(L);
	if (ld_slot(L, W_EMBED, 0, &m->embed, &unused) || ld_slot(L, W_POS, 0, &m->pos, &unused) ||
	    ld_slot(L, W_NORM_F, 0, &none, &m->norm_f) || ld_slot(L, W_NORM_F_B, 0, &none, &m->norm_f_b))
		return -1;
	m->embed.trans = 1; /* [vocab, d]: rows read by id, and the tied W_U */
	return ld_blocks(L) || ld_unembed(L) ? -1 : 0;
}

static int ld_rope(loader *L)
{
	saex_model *m = L->m;
	if (m->a.learned_pos)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (!(m->rope_inv[i] = malloc((size_t)m->a.rope[i].dims / 2 * sizeof(float))))
			return ld_oom(L);
		rope_inv(m->rope_inv[i], &m->a.rope[i]);
	}
	return 0;
}

saex_model *saex_model_load(const char *dir, char *err, size_t errlen)
{
	saex_model *m = calloc(1, sizeof *m);
	char path[4096 + 16];
	if (!m) {
		tensor_fail(err, errlen, "%s: out of memory for the model", dir);
		return NULL;
	}
	loader L = {m, dir, NULL, NULL, "", NULL, err, errlen};
	snprintf(path, sizeof path, "%s/config.json", dir);
	int rc = arch_read(&m->a, path, err, errlen);
	if (rc == 0)
		rc = ld_weights(&L);
	if (rc == 0)
		rc = ld_rope(&L);
	json_decref(L.index);
	if (rc) {
		saex_model_free(m);
		return NULL;
	}
	const model_arch *a = &m->a;
	m->cfg = (saex_model_config){a->fam->name, a->model_type, a->n_layers, a->d_model, a->n_heads, a->n_kv_heads,
	                             a->head_dim, a->d_mlp, a->n_ctx, a->vocab, m->embed.dtype, a->prepend_bos,
	                             a->parallel};
	return m;
}

void saex_model_free(saex_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_owned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->layers);
	free(m->rope_inv[0]);
	free(m->rope_inv[1]);
	for (size_t i = 0; i < m->wf.n; i++) {
		saex_safetensors_close(m->wf.f[i]);
		free(m->wf.name[i]);
	}
	free(m->wf.f);
	free(m->wf.name);
	arch_free(&m->a);
	free(m);
}
