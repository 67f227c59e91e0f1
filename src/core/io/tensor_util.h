/* tensor_util.h - helpers shared by libsaex's file readers (safetensors,
 * .npy, model config.json, SAE cfg.json). */
#ifndef SAEX_TENSOR_UTIL_H
#define SAEX_TENSOR_UTIL_H

#include "saex_tensor.h"
#include "util.h"

#include <jansson.h>
#include <stdarg.h>

/* Writes the formatted message into err (errlen bytes) when err is not
 * NULL; returns -1. */
int tensor_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Loads a JSON file that must hold an object (read whole, at most 16 MiB:
 * config.json, cfg.json and the like); NULL with "path: reason" or
 * "path:line: reason" in err otherwise. Caller decrefs. */
json_t *tensor_json_object(const char *path, char *err, size_t errlen);
/* An optional JSON file: its document, or NULL when it is missing, is not
 * a regular file (never waited on) or does not parse. */
json_t *tensor_json_optional(const char *path);

/* Appends "[d0, d1, ...]" to b. */
void tensor_shape_str(sb *b, int ndim, const int64_t *shape);

/* numel of a shape into *numel and numel * elem into *nbytes; -1 when
 * either does not fit in 64 bits (or in size_t). */
int tensor_numel(int ndim, const int64_t *shape, size_t elem, uint64_t *numel, size_t *nbytes);

/* Maps the regular file at path read-only (MAP_PRIVATE): *map and *size, or
 * NULL and 0 for an empty file. -1 with "path: reason" in err when it
 * cannot be opened, is not a regular file (a folder says so) or cannot be
 * mapped. The caller munmaps a non-NULL *map. */
int tensor_map_file(const char *path, void **map, size_t *size, char *err, size_t errlen);
/* Maps the pages of [p, p + n) of a map in one go (MADV_POPULATE_READ,
 * else a read of a byte a page): far cheaper than faulting them in one at
 * a time as a pass over them reaches them. Only an optimisation. */
void tensor_prefault(const void *p, size_t n);

/* Little-endian loads and stores that work at any alignment. */
uint16_t tensor_le16(const unsigned char *p);
uint32_t tensor_le32(const unsigned char *p);
uint64_t tensor_le64(const unsigned char *p);

/* Converts n little-endian elements of type t at src into float32 at dst. */
void tensor_to_f32(float *dst, const void *src, uint64_t n, saex_dtype t);

/* 1 on a little-endian host. */
int tensor_host_le(void);

/* .npy headers (npy.c), for .npy files and the members of .npz files.
 * tensor_npy_prefix: the first have (10 to 12) bytes pre of an array of
 * total bytes: the \x93NUMPY magic and version 1.0, 2.0 or 3.0; sets
 * *dict_off and *dict_len, where the header dict lies (within total).
 * tensor_npy_dict: the dict's len bytes: exactly descr ('<f4' or '<f2'),
 * fortran_order (False) and shape, which must multiply without overflow;
 * fills *out but its data_off. what names the file (or file and member) in
 * messages. Both return 0, or -1 with err filled. */
typedef struct tensor_npy {
	saex_dtype dtype;
	int ndim;
	int64_t shape[SAEX_MAX_DIMS];
	uint64_t numel;
	size_t nbytes;         /* numel * dtype size */
	size_t data_off;       /* the data's offset from the start of the array */
} tensor_npy;
int tensor_npy_prefix(const unsigned char *pre, size_t have, uint64_t total, const char *what, size_t *dict_off,
                      size_t *dict_len, char *err, size_t errlen);
int tensor_npy_dict(const char *dict, size_t len, const char *what, tensor_npy *out, char *err, size_t errlen);

#endif
