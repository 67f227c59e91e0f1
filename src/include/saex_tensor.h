/* saex_tensor.h - part of libsaex's public interface (included by saex.h):
 * safetensors and .npy files.
 *
 * Errors: functions that can fail take (char *err, size_t errlen). On
 * failure they write a one-line message there (NUL-terminated, truncated to
 * errlen; nothing when err is NULL) that names the file and, where there is
 * one, the tensor, e.g.
 *   model.safetensors: tensor 'wte.weight': data_offsets [0, 100] hold 100
 *   bytes but shape [50257, 768] F32 needs 154389504
 * The message is raw text from the file: escape it before it reaches a
 * terminal (saex_escape). A bad file gives an error, never a crash.
 *
 * Byte order: files are little-endian; on a big-endian host every view is a
 * converted copy. */
#ifndef SAEX_TENSOR_H
#define SAEX_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most dimensions a tensor or array may have. */
#define SAEX_MAX_DIMS 8
/* A size for err buffers that holds any message in full. */
#define SAEX_ERR_LEN 1024

typedef enum saex_dtype {
	SAEX_F32 = 0,
	SAEX_F16 = 1,  /* IEEE binary16 */
	SAEX_BF16 = 2, /* bfloat16 */
	SAEX_OTHER = 3 /* a safetensors dtype saex reads past but does not
	                * compute with: BOOL, U8, I8, I16, U16, I32, U32, I64,
	                * U64, F64, F8_E4M3, F8_E5M2 (a model's masks and
	                * buffers) */
} saex_dtype;

/* "F32", "F16", "BF16" or "other" (static storage). */
const char *saex_dtype_name(saex_dtype t);
/* Bytes per element: 4 or 2 (0 for SAEX_OTHER: see a tensor's nbytes). */
size_t saex_dtype_size(saex_dtype t);

/* ---------------------------------------------------------------- safetensors
 * saex_safetensors_open maps the file read-only and validates all of it
 * before returning: the 8-byte little-endian header length N lies within
 * the file (and below 100 MB), the N bytes are a JSON object, every entry
 * but "__metadata__" (which must map strings to strings) is
 * {"dtype": F32|F16|BF16 (or one of SAEX_OTHER's), "shape": [non-negative integers, at most
 * SAEX_MAX_DIMS], "data_offsets": [begin, end]} with begin <= end inside the
 * data that follows the header, end - begin == numel * dtype size (numel
 * computed without overflow), and no two tensors share a byte. Names must be
 * unique. Keys other than these three in a tensor entry are ignored. */
typedef struct saex_safetensors saex_safetensors;

typedef struct saex_tensor {
	const char *name;                /* borrowed: lives as long as the file */
	saex_dtype dtype;
	int ndim;                        /* 0 (a scalar) .. SAEX_MAX_DIMS */
	int64_t shape[SAEX_MAX_DIMS];    /* shape[ndim..] are 0 */
	uint64_t numel;                  /* product of the shape; 1 for a scalar */
	const void *data;                /* borrowed: the bytes in the map */
	size_t nbytes;                   /* numel * saex_dtype_size(dtype) */
} saex_tensor;

/* Opens and validates path. Returns NULL on failure (err filled). Close
 * with saex_safetensors_close. */
saex_safetensors *saex_safetensors_open(const char *path, char *err, size_t errlen);
/* Unmaps the file. Every pointer borrowed from it becomes invalid. NULL is
 * allowed. */
void saex_safetensors_close(saex_safetensors *f);
/* The path as given to open (borrowed). */
const char *saex_safetensors_path(const saex_safetensors *f);
/* Number of tensors; tensor i (0 <= i < count) in the order of their data
 * in the file. Borrowed. */
size_t saex_safetensors_count(const saex_safetensors *f);
const saex_tensor *saex_safetensors_tensor(const saex_safetensors *f, size_t i);
/* The tensor named name, or NULL. Borrowed. */
const saex_tensor *saex_safetensors_find(const saex_safetensors *f, const char *name);
/* The value of key in "__metadata__", or NULL. Borrowed. */
const char *saex_safetensors_meta(const saex_safetensors *f, const char *key);

/* A float32 view of t's numel values. For F32 data that is 4-byte aligned
 * this points into the map (zero copy; *owned is set to NULL; valid until
 * the file is closed); otherwise the values are converted (F16, BF16) or
 * copied (unaligned F32) into memory that *owned receives and the caller
 * frees with free(). Returns NULL when t's dtype is SAEX_OTHER or that
 * memory cannot be had. */
const float *saex_tensor_f32(const saex_tensor *t, float **owned);

/* ---------------------------------------------------------------- .npz
 * A .npz file (NumPy's savez and savez_compressed; Gemma Scope's
 * params.npz) is a zip archive of .npy members. saex_npz_open maps the file
 * read-only and checks all of it before returning: the zip (read with
 * libarchive; ZIP64 archives and members over 4 GiB included), at most
 * 4096 members, each named NAME.npy (printable, no '..' and no leading
 * '/'; the tensor is called NAME), not encrypted, lying within the file,
 * no two stored ones sharing a byte and no two sharing a name, each a .npy
 * array as saex_npy_read takes them ('<f4' or '<f2', C order) whose data
 * fills the member exactly.
 * A STORED member is used in place: its tensor's data points into the map
 * (no copy; pages are read when touched) and is not CRC-checked, which
 * would read it all. Its data may lie at any byte offset (NumPy does not
 * align members): read it with memcpy, BLAS, or saex_tensor_f32, which
 * copies data that is not 4-byte aligned. Any other member (DEFLATED) is
 * read once, at open, into memory the npz owns, with its CRC checked; all
 * such members together may state at most 1032 bytes (deflate's limit) per
 * byte of the file, and inflating more or fewer bytes than a member states
 * is an error (a zip bomb stops one block past its stated size). */
typedef struct saex_npz saex_npz;

/* Opens and checks path. NULL on failure (err filled, naming the file and
 * the member). Close with saex_npz_close. */
saex_npz *saex_npz_open(const char *path, char *err, size_t errlen);
/* Unmaps the file and frees the inflated members; every pointer borrowed
 * from it becomes invalid. NULL is allowed. */
void saex_npz_close(saex_npz *z);
/* The path as given to open (borrowed). */
const char *saex_npz_path(const saex_npz *z);
/* Number of members; member i (0 <= i < count) in the zip's order; the
 * member named name (without .npy), or NULL. Borrowed. */
size_t saex_npz_count(const saex_npz *z);
const saex_tensor *saex_npz_tensor(const saex_npz *z, size_t i);
const saex_tensor *saex_npz_find(const saex_npz *z, const char *name);
/* 1 when member i was STORED (its data is in the map), 0 otherwise. */
int saex_npz_stored(const saex_npz *z, size_t i);

/* ---------------------------------------------------------------- .npy
 * Reads .npy files of format version 1.0, 2.0 or 3.0 holding float32
 * ('<f4') or float16 ('<f2', converted) in C order; 'fortran_order': True,
 * other dtypes and big-endian data are refused with a message saying so.
 * The header dict may be spaced and ordered any way Python's literal syntax
 * allows; it must hold exactly descr, fortran_order and shape. The data must
 * be exactly numel values long. */
typedef struct saex_npy {
	float *data;                     /* owned: saex_npy_free releases it */
	int ndim;
	int64_t shape[SAEX_MAX_DIMS];    /* shape[ndim..] are 0 */
	uint64_t numel;
} saex_npy;

/* Reads path into *out. Returns 0, or -1 with err filled (and *out empty). */
int saex_npy_read(const char *path, saex_npy *out, char *err, size_t errlen);
/* Frees a's data and empties it. */
void saex_npy_free(saex_npy *a);
/* Writes ndim (1..SAEX_MAX_DIMS) by shape float32 values, C order, as a
 * version 1.0 .npy (2.0 when the header needs it). The bytes go to a new
 * file beside path that replaces it once complete (through a symlink, the
 * file it names), so a failed write leaves an existing file as it was.
 * Returns 0 or -1 with err filled. */
int saex_npy_write(const char *path, const float *data, int ndim, const int64_t *shape,
                   char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
