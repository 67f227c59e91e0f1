/* safetensors.c - safetensors files by mmap, validated whole at open.
 * See saex_tensor.h and FORMATS.md §2. */
#include "config.h"
#include "saex_tensor.h"
#include "tensor_util.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The safetensors format caps the header at 100 MB. */
#define ST_MAX_HEADER 100000000ull

typedef struct st_entry {
	saex_tensor t;
	uint64_t begin, end;   /* data_offsets */
} st_entry;

struct saex_safetensors {
	char *path;
	unsigned char *map;
	size_t size;
	st_entry *e;           /* by data offset */
	size_t n;
	const st_entry **by_name; /* into e, sorted by name */
	const char **meta;     /* key, value, key, value, ... */
	size_t nmeta;
	arena a;               /* names and metadata strings */
};

static int st_dtype(const char *s, saex_dtype *t)
{
	if (strcmp(s, "F32") == 0)
		*t = SAEX_F32;
	else if (strcmp(s, "F16") == 0)
		*t = SAEX_F16;
	else if (strcmp(s, "BF16") == 0)
		*t = SAEX_BF16;
	else
		return -1;
	return 0;
}

/* Reads one tensor entry; fills e (name already set). datalen is the size
 * of the data area after the header. */
static int st_entry_parse(const saex_safetensors *f, json_t *v, st_entry *e, uint64_t datalen,
                          char *err, size_t errlen)
{
	const char *p = f->path, *name = e->t.name;
	if (!json_is_object(v))
		return tensor_fail(err, errlen, "%s: tensor '%s': entry is not a JSON object", p, name);
	json_t *dt = json_object_get(v, "dtype");
	if (!json_is_string(dt))
		return tensor_fail(err, errlen, "%s: tensor '%s': %s", p, name,
		                   dt ? "dtype is not a string" : "no dtype");
	if (st_dtype(json_string_value(dt), &e->t.dtype) != 0)
		return tensor_fail(err, errlen, "%s: tensor '%s': dtype %s is not supported (saex reads F32, F16 and BF16)",
		                   p, name, json_string_value(dt));
	json_t *sh = json_object_get(v, "shape");
	if (!json_is_array(sh))
		return tensor_fail(err, errlen, "%s: tensor '%s': %s", p, name,
		                   sh ? "shape is not an array" : "no shape");
	size_t nd = json_array_size(sh);
	if (nd > SAEX_MAX_DIMS)
		return tensor_fail(err, errlen, "%s: tensor '%s': shape has %zu dimensions; saex reads at most %d",
		                   p, name, nd, SAEX_MAX_DIMS);
	e->t.ndim = (int)nd;
	for (size_t i = 0; i < nd; i++) {
		json_t *d = json_array_get(sh, i);
		if (!json_is_integer(d))
			return tensor_fail(err, errlen, "%s: tensor '%s': shape is not a list of integers", p, name);
		e->t.shape[i] = json_integer_value(d);
	}
	sb s = {0};
	tensor_shape_str(&s, e->t.ndim, e->t.shape);
	int rc = 0;
	for (int i = 0; i < e->t.ndim && rc == 0; i++)
		if (e->t.shape[i] < 0)
			rc = tensor_fail(err, errlen, "%s: tensor '%s': shape %s has a negative dimension",
			                 p, name, s.p);
	if (rc == 0 && tensor_numel(e->t.ndim, e->t.shape, saex_dtype_size(e->t.dtype), &e->t.numel,
	                            &e->t.nbytes) != 0)
		rc = tensor_fail(err, errlen, "%s: tensor '%s': shape %s %s is too large (its size overflows 64 bits)",
		                 p, name, s.p, saex_dtype_name(e->t.dtype));
	json_t *off = json_object_get(v, "data_offsets");
	json_t *b = json_array_get(off, 0), *en = json_array_get(off, 1);
	if (rc == 0 && (!json_is_array(off) || json_array_size(off) != 2 || !json_is_integer(b) ||
	                !json_is_integer(en) || json_integer_value(b) < 0 || json_integer_value(en) < 0))
		rc = tensor_fail(err, errlen, "%s: tensor '%s': %s", p, name,
		                 off ? "data_offsets is not [begin, end] with non-negative integers"
		                     : "no data_offsets");
	if (rc == 0) {
		e->begin = (uint64_t)json_integer_value(b);
		e->end = (uint64_t)json_integer_value(en);
		if (e->begin > e->end)
			rc = tensor_fail(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin",
			                 p, name, (unsigned long long)e->begin, (unsigned long long)e->end);
		else if (e->end > datalen)
			rc = tensor_fail(err, errlen,
			                 "%s: tensor '%s': data_offsets [%llu, %llu] run past the end of the data "
			                 "(%llu bytes after the header; is the file truncated?)",
			                 p, name, (unsigned long long)e->begin, (unsigned long long)e->end,
			                 (unsigned long long)datalen);
		else if (e->end - e->begin != e->t.nbytes)
			rc = tensor_fail(err, errlen,
			                 "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but shape %s %s needs %zu",
			                 p, name, (unsigned long long)e->begin, (unsigned long long)e->end,
			                 (unsigned long long)(e->end - e->begin), s.p,
			                 saex_dtype_name(e->t.dtype), e->t.nbytes);
	}
	sb_free(&s);
	return rc;
}

static int st_meta_parse(saex_safetensors *f, json_t *m, char *err, size_t errlen)
{
	if (!json_is_object(m))
		return tensor_fail(err, errlen, "%s: __metadata__ is not a JSON object", f->path);
	f->meta = arena_alloc(&f->a, 2 * json_object_size(m) * sizeof *f->meta);
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) {
		if (!json_is_string(v))
			return tensor_fail(err, errlen, "%s: __metadata__ '%s' is not a string", f->path, k);
		f->meta[2 * f->nmeta] = arena_strdup(&f->a, k);
		f->meta[2 * f->nmeta + 1] = arena_strndup(&f->a, json_string_value(v), json_string_length(v));
		f->nmeta++;
	}
	return 0;
}

static int st_cmp_offset(const void *a, const void *b)
{
	const st_entry *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static int st_cmp_name(const void *a, const void *b)
{
	const st_entry *const *x = a, *const *y = b;
	return strcmp((*x)->t.name, (*y)->t.name);
}

/* Parses and checks the header of the mapped file. */
static int st_parse(saex_safetensors *f, char *err, size_t errlen)
{
	const char *p = f->path;
	if (f->size < 8)
		return tensor_fail(err, errlen, "%s: %zu bytes is too short for a safetensors file "
		                   "(it starts with an 8-byte header length)", p, f->size);
	uint64_t hlen = tensor_le64(f->map);
	if (hlen > f->size - 8)
		return tensor_fail(err, errlen, "%s: header length %llu runs past the end of the file (%zu bytes)",
		                   p, (unsigned long long)hlen, f->size);
	if (hlen > ST_MAX_HEADER)
		return tensor_fail(err, errlen, "%s: header length %llu is over the 100 MB safetensors allows",
		                   p, (unsigned long long)hlen);
	if (hlen == 0)
		return tensor_fail(err, errlen, "%s: empty header (length 0)", p);
	json_error_t je;
	json_t *root = json_loadb((const char *)f->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return tensor_fail(err, errlen, "%s: header is not valid JSON: %s (at byte %d of the header)",
		                   p, je.text, je.position);
	int rc = 0;
	if (!json_is_object(root)) {
		rc = tensor_fail(err, errlen, "%s: header is not a JSON object", p);
		goto out;
	}
	uint64_t datalen = f->size - 8 - hlen;
	const unsigned char *data = f->map + 8 + hlen;
	f->e = xcalloc(json_object_size(root) ? json_object_size(root) : 1, sizeof *f->e);
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v) {
		if (strcmp(k, "__metadata__") == 0) {
			if ((rc = st_meta_parse(f, v, err, errlen)) != 0)
				goto out;
			continue;
		}
		st_entry *e = &f->e[f->n];
		e->t.name = arena_strdup(&f->a, k);
		if ((rc = st_entry_parse(f, v, e, datalen, err, errlen)) != 0)
			goto out;
		e->t.data = data + e->begin;
		f->n++;
	}
	qsort(f->e, f->n, sizeof *f->e, st_cmp_offset);
	/* Sorted by begin: a tensor overlaps an earlier one exactly when it
	 * begins before the furthest end so far. Empty tensors hold no byte. */
	const st_entry *far = NULL;
	for (size_t i = 0; i < f->n; i++) {
		const st_entry *e = &f->e[i];
		if (e->begin == e->end)
			continue;
		if (far && e->begin < far->end) {
			rc = tensor_fail(err, errlen,
			                 "%s: tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' [%llu, %llu]",
			                 p, e->t.name, (unsigned long long)e->begin, (unsigned long long)e->end,
			                 far->t.name, (unsigned long long)far->begin, (unsigned long long)far->end);
			goto out;
		}
		if (!far || e->end > far->end)
			far = e;
	}
	f->by_name = xmalloc((f->n ? f->n : 1) * sizeof *f->by_name);
	for (size_t i = 0; i < f->n; i++)
		f->by_name[i] = &f->e[i];
	qsort(f->by_name, f->n, sizeof *f->by_name, st_cmp_name);
out:
	json_decref(root);
	return rc;
}

saex_safetensors *saex_safetensors_open(const char *path, char *err, size_t errlen)
{
	int fd = util_open_read(path, 0, NULL, err, errlen);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		tensor_fail(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	saex_safetensors *f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	f->size = (size_t)st.st_size;
	if (f->size > 0) {
		void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			tensor_fail(err, errlen, "%s: cannot map the file: %s", path, strerror(errno));
			close(fd);
			f->size = 0;
			saex_safetensors_close(f);
			return NULL;
		}
		f->map = m;
	}
	close(fd);
	if (st_parse(f, err, errlen) != 0) {
		saex_safetensors_close(f);
		return NULL;
	}
	return f;
}

void saex_safetensors_close(saex_safetensors *f)
{
	if (!f)
		return;
	if (f->map)
		munmap(f->map, f->size);
	free(f->e);
	free(f->by_name);
	arena_free(&f->a);
	free(f->path);
	free(f);
}

const char *saex_safetensors_path(const saex_safetensors *f)
{
	return f->path;
}

size_t saex_safetensors_count(const saex_safetensors *f)
{
	return f->n;
}

const saex_tensor *saex_safetensors_tensor(const saex_safetensors *f, size_t i)
{
	return i < f->n ? &f->e[i].t : NULL;
}

const saex_tensor *saex_safetensors_find(const saex_safetensors *f, const char *name)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const saex_tensor *t = &f->by_name[mid]->t;
		int c = strcmp(name, t->name);
		if (c == 0)
			return t;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *saex_safetensors_meta(const saex_safetensors *f, const char *key)
{
	for (size_t i = 0; i < f->nmeta; i++)
		if (strcmp(f->meta[2 * i], key) == 0)
			return f->meta[2 * i + 1];
	return NULL;
}

const float *saex_tensor_f32(const saex_tensor *t, float **owned)
{
	*owned = NULL;
	if (t->dtype == SAEX_F32 && tensor_host_le() && ((uintptr_t)t->data & 3) == 0)
		return t->data;
	size_t bytes;
	if (__builtin_mul_overflow((size_t)t->numel, sizeof(float), &bytes))
		return NULL;
	float *out = malloc(bytes ? bytes : 1);
	if (!out)
		return NULL;
	tensor_to_f32(out, t->data, t->numel, t->dtype);
	*owned = out;
	return out;
}
