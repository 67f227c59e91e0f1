/* npz.c - NumPy .npz files (a zip of .npy members), as described in
 * saex_tensor.h. libarchive reads the zip (its seekable reader: the
 * central directory, ZIP64 included) from the read-only map of the file,
 * and hands back a STORED member's bytes as a pointer into that map,
 * which is where the array is then used: no copy. Other members (DEFLATED)
 * are read once into memory the npz owns, within the size their directory
 * entry states, by a second pass that has libarchive check their CRCs
 * (the first pass leaves CRCs unchecked, as computing them would read
 * every stored page).
 *
 * Why libarchive: libzip tells nobody where a member's data starts, and
 * Debian's minizip (1.1) reads no ZIP64 central directory on 64-bit hosts
 * (its 0xFFFFFFFF markers stay unreplaced), which every params.npz with a
 * member over 4 GiB has. */
#include "config.h"
#include "saex_tensor.h"
#include "tensor_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Deflate cannot expand data by more than about 1032:1: no member (and no
 * sum of them) may state more than that many bytes per byte of the file. */
#define NPZ_MAX_RATIO 1032u
#define NPZ_MAX_MEMBERS 4096u
#define NPZ_MAX_NAME 255u

typedef struct npz_member {
	saex_tensor t;
	char *name;             /* owned; t.name points here (without .npy) */
	uint64_t size;          /* the member's bytes as its entry states them */
	const unsigned char *in_map; /* a stored member's bytes in the map */
	void *copy;             /* any other member's bytes, read at open */
} npz_member;

struct saex_npz {
	char *path;
	unsigned char *map;
	size_t size;
	npz_member *m;
	size_t n;
};

/* A member name saex accepts: NAME.npy, printable, no path to climb out of. */
static const char *name_problem(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (!s)
		return "a name that is not text";
	if (len == 0)
		return "an empty name";
	if (len > NPZ_MAX_NAME)
		return "a name over 255 bytes";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\')
			return "a control character or backslash in its name";
	if (s[0] == '/' || strstr(s, ".."))
		return "'..' or a leading '/' in its name";
	if (len < 5 || strcmp(s + len - 4, ".npy"))
		return "a name that does not end in .npy";
	return NULL;
}

/* A reader of the map; ignore_crc: leave CRCs unchecked (pass one). */
static struct archive *arc_open(saex_npz *z, int ignore_crc, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	if (!a) {
		tensor_fail(err, errlen, "%s: out of memory", z->path);
		return NULL;
	}
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    (ignore_crc && archive_read_set_options(a, "zip:ignorecrc32") != ARCHIVE_OK) ||
	    archive_read_open_memory2(a, z->map, z->size, z->size) != ARCHIVE_OK) {
		tensor_fail(err, errlen, "%s: not a zip archive (.npz): %s", z->path,
		            archive_error_string(a) ? archive_error_string(a) : "libarchive cannot read it");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int arc_fail(const saex_npz *z, struct archive *a, const char *member, char *err, size_t errlen)
{
	const char *why = archive_error_string(a) ? archive_error_string(a) : "unreadable";
	int n = (int)strlen(why);
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		n--; /* some of libarchive's messages end in a newline */
	if (member)
		return tensor_fail(err, errlen, "%s: member '%s': %.*s", z->path, member, n, why);
	return tensor_fail(err, errlen, "%s: %.*s", z->path, n, why);
}

/* Pass one: a member's name and size, and its first block: the whole
 * member in the map when it is stored. */
static int first_pass_member(saex_npz *z, struct archive *a, struct archive_entry *e, npz_member *m, char *err,
                             size_t errlen)
{
	const char *name = archive_entry_pathname(e), *bad = name_problem(name);
	if (bad)
		return tensor_fail(err, errlen, "%s: member %zu ('%.80s') has %s", z->path, z->n + 1, name ? name : "?", bad);
	if (!(m->name = strdup(name)))
		return tensor_fail(err, errlen, "%s: out of memory", z->path);
	m->name[strlen(m->name) - 4] = 0;
	m->t.name = m->name;
	if (archive_entry_is_encrypted(e))
		return tensor_fail(err, errlen, "%s: member '%s' is encrypted", z->path, m->name);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return tensor_fail(err, errlen, "%s: member '%s' states no size", z->path, m->name);
	m->size = (uint64_t)archive_entry_size(e);
	const void *b;
	size_t len;
	la_int64_t off;
	int r = archive_read_data_block(a, &b, &len, &off);
	if (r == ARCHIVE_EOF)
		return 0; /* empty: the .npy check says so */
	if (r != ARCHIVE_OK)
		return arc_fail(z, a, m->name, err, errlen);
	const unsigned char *p = b;
	if (off == 0 && p >= z->map && p < z->map + z->size && len <= (size_t)(z->map + z->size - p)) {
		if ((uint64_t)len != m->size)
			return tensor_fail(err, errlen, "%s: member '%s' states %llu bytes but the file holds %zu from "
			                   "where it starts (is it truncated?)", z->path, m->name,
			                   (unsigned long long)m->size, len);
		m->in_map = p;
	}
	return 0;
}

/* Pass two: a member that is not in the map, read whole (and CRC-checked
 * by libarchive) into memory, never more than it states. */
static int second_pass_member(saex_npz *z, struct archive *a, npz_member *m, uint64_t *total, char *err,
                              size_t errlen)
{
	if (m->size > (uint64_t)NPZ_MAX_RATIO * z->size || (*total += m->size) > (uint64_t)NPZ_MAX_RATIO * z->size)
		return tensor_fail(err, errlen, "%s: member '%s' states %llu bytes, more than a %zu-byte file can "
		                   "inflate to (a zip bomb?)", z->path, m->name, (unsigned long long)m->size, z->size);
	if (m->size > SIZE_MAX - 1 || !(m->copy = malloc(m->size ? (size_t)m->size : 1)))
		return tensor_fail(err, errlen, "%s: member '%s': out of memory for %llu bytes", z->path, m->name,
		                   (unsigned long long)m->size);
	uint64_t got = 0;
	for (;;) {
		const void *b;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &b, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return arc_fail(z, a, m->name, err, errlen);
		if (off < 0 || (uint64_t)off != got || len > m->size - got)
			return tensor_fail(err, errlen, "%s: member '%s' inflates to more than its stated %llu bytes (a zip "
			                   "bomb?)", z->path, m->name, (unsigned long long)m->size);
		memcpy((unsigned char *)m->copy + got, b, len);
		got += len;
	}
	if (got != m->size)
		return tensor_fail(err, errlen, "%s: member '%s' inflates to %llu bytes, not its stated %llu", z->path,
		                   m->name, (unsigned long long)got, (unsigned long long)m->size);
	return 0;
}

/* The .npy array in member m's bytes p (len of them) as its tensor. */
static int member_array(const saex_npz *z, npz_member *m, const unsigned char *p, uint64_t len, char *err,
                        size_t errlen)
{
	char what[NPZ_MAX_NAME + 4200];
	snprintf(what, sizeof what, "%s: member '%s'", z->path, m->name);
	size_t off, dlen;
	tensor_npy h;
	static const unsigned char empty[1];
	if (!p)
		p = empty; /* an empty member: too short for a header */
	if (tensor_npy_prefix(p, len < 12 ? (size_t)len : 12, len, what, &off, &dlen, err, errlen) ||
	    tensor_npy_dict((const char *)p + off, dlen, what, &h, err, errlen))
		return -1;
	uint64_t have = len - off - dlen;
	if (have != h.nbytes)
		return tensor_fail(err, errlen, "%s holds %llu bytes of data but its .npy header needs %zu%s", what,
		                   (unsigned long long)have, h.nbytes, have < h.nbytes ? " (is it truncated?)" : "");
	m->t.dtype = h.dtype;
	m->t.ndim = h.ndim;
	memcpy(m->t.shape, h.shape, sizeof h.shape);
	m->t.numel = h.numel;
	m->t.nbytes = h.nbytes;
	m->t.data = p + off + dlen;
	return 0;
}

static int cmp_pos(const void *a, const void *b)
{
	const npz_member *x = *(npz_member *const *)a, *y = *(npz_member *const *)b;
	return x->in_map < y->in_map ? -1 : x->in_map > y->in_map;
}

/* No two members in the map share a byte, and no two share a name. */
static int check_members(saex_npz *z, char *err, size_t errlen)
{
	npz_member **by = malloc((z->n ? z->n : 1) * sizeof *by);
	size_t k = 0;
	if (!by)
		return tensor_fail(err, errlen, "%s: out of memory", z->path);
	for (size_t i = 0; i < z->n; i++)
		if (z->m[i].in_map && z->m[i].size)
			by[k++] = &z->m[i];
	qsort(by, k, sizeof *by, cmp_pos);
	int rc = 0;
	for (size_t i = 1; i < k && !rc; i++)
		if (by[i - 1]->in_map + by[i - 1]->size > by[i]->in_map)
			rc = tensor_fail(err, errlen, "%s: members '%s' and '%s' overlap in the file", z->path, by[i - 1]->name,
			                 by[i]->name);
	free(by);
	for (size_t i = 0; i < z->n && !rc; i++)
		for (size_t j = i + 1; j < z->n && !rc; j++)
			if (!strcmp(z->m[i].name, z->m[j].name))
				rc = tensor_fail(err, errlen, "%s: two members are named '%s.npy'", z->path, z->m[i].name);
	return rc;
}

/* Pass one over every member; *copies: how many are not in the map. */
static int first_pass(saex_npz *z, size_t *copies, char *err, size_t errlen)
{
	struct archive *a = arc_open(z, 1, err, errlen);
	struct archive_entry *e;
	int r, rc = 0;
	if (!a)
		return -1;
	*copies = 0;
	while (!rc && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = arc_fail(z, a, NULL, err, errlen);
			break;
		}
		if (z->n == NPZ_MAX_MEMBERS) {
			rc = tensor_fail(err, errlen, "%s: more than %u members", z->path, NPZ_MAX_MEMBERS);
			break;
		}
		if (z->n % 16 == 0) {
			npz_member *m = realloc(z->m, (z->n + 16) * sizeof *m);
			if (!m) {
				rc = tensor_fail(err, errlen, "%s: out of memory", z->path);
				break;
			}
			z->m = m;
		}
		memset(&z->m[z->n], 0, sizeof *z->m);
		rc = first_pass_member(z, a, e, &z->m[z->n], err, errlen);
		*copies += !z->m[z->n].in_map && z->m[z->n].size;
		z->n++; /* counted also on failure, so that close frees it */
	}
	if (!rc && z->n == 0)
		rc = tensor_fail(err, errlen, "%s: the zip archive has no members", z->path);
	archive_read_free(a);
	return rc;
}

/* Pass two: the members not in the map, CRCs checked. */
static int second_pass(saex_npz *z, char *err, size_t errlen)
{
	struct archive *a = arc_open(z, 0, err, errlen);
	struct archive_entry *e;
	uint64_t total = 0;
	int rc = 0;
	if (!a)
		return -1;
	for (size_t i = 0; i < z->n && !rc; i++) {
		int r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			rc = arc_fail(z, a, NULL, err, errlen);
		else if (!z->m[i].in_map && z->m[i].size)
			rc = second_pass_member(z, a, &z->m[i], &total, err, errlen);
	}
	archive_read_free(a);
	return rc;
}

static int read_members(saex_npz *z, char *err, size_t errlen)
{
	size_t copies;
	if (first_pass(z, &copies, err, errlen) || (copies && second_pass(z, err, errlen)))
		return -1;
	for (size_t i = 0; i < z->n; i++) {
		npz_member *m = &z->m[i];
		if (member_array(z, m, m->in_map ? m->in_map : m->copy, m->size, err, errlen))
			return -1;
	}
	return check_members(z, err, errlen);
}

saex_npz *saex_npz_open(const char *path, char *err, size_t errlen)
{
	void *map;
	size_t size;
	if (tensor_map_file(path, &map, &size, err, errlen))
		return NULL;
	if (!map) {
		tensor_fail(err, errlen, "%s: an empty file is not a zip archive (.npz)", path);
		return NULL;
	}
	saex_npz *z = calloc(1, sizeof *z);
	if (!z || !(z->path = strdup(path))) {
		free(z);
		munmap(map, size);
		tensor_fail(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	z->map = map;
	z->size = size;
	if (read_members(z, err, errlen)) {
		saex_npz_close(z);
		return NULL;
	}
	return z;
}

void saex_npz_close(saex_npz *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free(z->m[i].name);
		free(z->m[i].copy);
	}
	free(z->m);
	if (z->map)
		munmap(z->map, z->size);
	free(z->path);
	free(z);
}

const char *saex_npz_path(const saex_npz *z)
{
	return z->path;
}

size_t saex_npz_count(const saex_npz *z)
{
	return z->n;
}

const saex_tensor *saex_npz_tensor(const saex_npz *z, size_t i)
{
	return i < z->n ? &z->m[i].t : NULL;
}

const saex_tensor *saex_npz_find(const saex_npz *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (!strcmp(z->m[i].name, name))
			return &z->m[i].t;
	return NULL;
}

int saex_npz_stored(const saex_npz *z, size_t i)
{
	return i < z->n && z->m[i].in_map != NULL;
}
