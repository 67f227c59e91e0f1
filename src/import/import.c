/* import.c - finds the files of an import, runs one transaction per file,
 * reports bad lines and progress. Row formats live in import_np.c and
 * import_sd.c. */
#include "config.h"
#include "import.h"
#include "jsonl.h"
#include "esc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Appends text to an error message, within its size. */
static void sb_strcat_msg(saex_err *e, const char *more)
{
	size_t n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, "%s", more);
}

typedef struct imp_file {
	char *path;
	import_kind kind;
	int64_t size;
} imp_file;

typedef struct imp_list {
	imp_file *v;
	size_t n, cap;
} imp_list;

static const char *const kind_names[] = {
	[IMP_AUTO] = "auto", [IMP_FEATURES] = "features", [IMP_ACTIVATIONS] = "activations",
	[IMP_EXPLANATIONS] = "explanations", [IMP_MODEL] = "model", [IMP_RELEASE] = "release",
	[IMP_SOURCESET] = "sourceset", [IMP_SOURCE] = "source", [IMP_SAEDASHBOARD] = "saedashboard",
	[IMP_EVAL] = "eval",
};

int import_kind_parse(const char *w)
{
	for (size_t i = 0; i < SAEX_ARRAY_LEN(kind_names); i++)
		if (strcmp(w, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *import_kind_name(import_kind k)
{
	return kind_names[k];
}

void import_report(import_ctx *c, long line, const char *msg)
{
	FILE *log = c->o->log ? c->o->log : stderr;
	sb b = {0};
	esc_append(&b, c->path, strlen(c->path), 0);
	if (line > 0)
		sb_printf(&b, ":%ld", line);
	sb_adds(&b, ": ");
	esc_append(&b, msg, strlen(msg), 0);
	fprintf(log, "%s%s\n", b.p, c->o->strict ? "" : " (skipped)");
	sb_free(&b);
}

static void list_add(imp_list *l, const char *path, import_kind kind)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	struct stat sbuf;
	l->v[l->n].path = xstrdup(path);
	l->v[l->n].kind = kind;
	l->v[l->n].size = stat(path, &sbuf) == 0 ? (int64_t)sbuf.st_size : 0;
	l->n++;
}

static void list_free(imp_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int is_jsonl(const char *name)
{
	return ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz");
}

static int is_json(const char *name)
{
	return ends_with(name, ".json") || ends_with(name, ".json.gz");
}

/* Natural order: batch-2 before batch-10. */
static int natural_cmp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* Sorted entry names of a folder (files and folders, no dot entries). */
static char **dir_names(const char *dir, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, natural_cmp);
	return v;
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int is_dir(const char *p)
{
	struct stat sbuf;
	return stat(p, &sbuf) == 0 && S_ISDIR(sbuf.st_mode);
}

static int is_file(const char *p)
{
	struct stat sbuf;
	return stat(p, &sbuf) == 0 && S_ISREG(sbuf.st_mode);
}

/* Adds the batch files of one kind folder (features/, ...). */
static void add_kind_dir(imp_list *l, const char *dir, import_kind kind, int want_json)
{
	size_t n;
	char **names = dir_names(dir, &n);
	for (size_t i = 0; i < n; i++) {
		if (want_json ? !is_json(names[i]) : !is_jsonl(names[i]))
			continue;
		char *p = xasprintf("%s/%s", dir, names[i]);
		if (is_file(p))
			list_add(l, p, kind);
		free(p);
	}
	names_free(names, n);
}

static int is_export_dir(const char *dir)
{
	static const char *const marks[] = {"features", "activations", "explanations",
	                                    "source.jsonl", "model.jsonl", "eval.jsonl"};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(marks); i++) {
		char *p = xasprintf("%s/%s", dir, marks[i]);
		int yes = access(p, F_OK) == 0;
		free(p);
		if (yes)
			return 1;
	}
	return 0;
}

static void add_export_dir(imp_list *l, const char *dir)
{
	static const struct { const char *name; import_kind kind; } meta[] = {
		{"model", IMP_MODEL}, {"release", IMP_RELEASE},
		{"sourceset", IMP_SOURCESET}, {"source", IMP_SOURCE}, {"eval", IMP_EVAL},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(meta); i++) {
		for (int gz = 0; gz < 2; gz++) {
			char *p = xasprintf("%s/%s.jsonl%s", dir, meta[i].name, gz ? ".gz" : "");
			if (is_file(p))
				list_add(l, p, meta[i].kind);
			free(p);
		}
	}
	static const struct { const char *name; import_kind kind; } data[] = {
		{"features", IMP_FEATURES}, {"activations", IMP_ACTIVATIONS},
		{"explanations", IMP_EXPLANATIONS},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(data); i++) {
		char *p = xasprintf("%s/%s", dir, data[i].name);
		if (is_dir(p))
			add_kind_dir(l, p, data[i].kind, 0);
		free(p);
	}
}

/* Finds export folders below dir (model/source/ layouts), depth-limited. */
static void scan_dir(imp_list *l, const char *dir, int depth, int sd)
{
	if (sd) {
		add_kind_dir(l, dir, IMP_SAEDASHBOARD, 1);
	} else if (is_export_dir(dir)) {
		add_export_dir(l, dir);
		return;
	}
	if (depth <= 0)
		return;
	size_t n;
	char **names = dir_names(dir, &n);
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		if (is_dir(p))
			scan_dir(l, p, depth - 1, sd);
		free(p);
	}
	names_free(names, n);
}

/* The kind of a single file: --kind, else its folder or name says. */
static import_kind file_kind(const char *path, const import_opts *o)
{
	if (o->kind != IMP_AUTO)
		return o->kind;
	if (o->saedashboard)
		return IMP_SAEDASHBOARD;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	static const struct { const char *prefix; import_kind kind; } names[] = {
		{"model.jsonl", IMP_MODEL}, {"release.jsonl", IMP_RELEASE},
		{"sourceset.jsonl", IMP_SOURCESET}, {"source.jsonl", IMP_SOURCE}, {"eval.jsonl", IMP_EVAL},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(names); i++)
		if (strncmp(base, names[i].prefix, strlen(names[i].prefix)) == 0)
			return names[i].kind;
	if (slash) {
		static const struct { const char *dir; import_kind kind; } dirs[] = {
			{"features/", IMP_FEATURES}, {"activations/", IMP_ACTIVATIONS},
			{"explanations/", IMP_EXPLANATIONS},
		};
		for (size_t i = 0; i < SAEX_ARRAY_LEN(dirs); i++) {
			size_t dl = strlen(dirs[i].dir);
			if ((size_t)(base - path) >= dl && strncmp(base - dl, dirs[i].dir, dl) == 0 &&
			    (base - dl == path || base[-(long)dl - 1] == '/'))
				return dirs[i].kind;
		}
	}
	return IMP_AUTO;
}

static void progress_draw(const import_opts *o, int64_t done, int64_t total, double t0,
                          double *last, int final)
{
	if (!o->progress)
		return;
	double t = now_seconds();
	if (!final && t - *last < 0.1)
		return;
	*last = t;
	double frac = total > 0 ? (double)done / (double)total : 1;
	if (frac > 1)
		frac = 1;
	int width = 30, fill = (int)(frac * width + 0.5);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = 0;
	double el = t - t0, eta = frac > 0.001 ? el / frac - el : 0;
	fprintf(stderr, "\r[%s] %5.1f%%  %.1f MB  %.0fs elapsed, %.0fs left \033[K", bar,
	        frac * 100, done / 1e6, el, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Imports one file in one transaction. */
static int import_file(store *s, imp_file *f, const import_opts *o, import_stats *st,
                       int64_t done_before, int64_t total, double t0, double *last,
                       saex_err *e)
{
	char *key_raw = jsonl_file_key(f->path, NULL, e);
	if (!key_raw) {
		st->files_failed++;
		return IMP_EFILE;
	}
	char *key = xasprintf("%s:%s:%s:%s", import_kind_name(f->kind), key_raw,
	                      o->model ? o->model : "", o->source ? o->source : "");
	free(key_raw);
	if (store_batch_done(s, key)) {
		st->files_done_before++;
		free(key);
		return 0;
	}
	jsonl *j;
	int rc = jsonl_open(&j, f->path, e);
	if (rc) {
		free(key);
		st->files_failed++;
		return IMP_EFILE;
	}
	import_ctx c = {s, o, st, f->path, {0}};
	import_kind kind = f->kind;
	import_stats before = *st;
	if ((rc = store_begin(s, e))) {
		jsonl_close(j);
		free(key);
		return STORE_EBAD;
	}
	long lineno = 0;
	if (kind == IMP_SAEDASHBOARD) {
		/* SAEDashboard files are one JSON document, not lines. */
		sb doc = {0};
		const char *line;
		size_t len;
		int r;
		while ((r = jsonl_next(j, &line, &len, e)) == 1) {
			st->lines++;
			sb_add(&doc, line, len);
			sb_addc(&doc, '\n');
		}
		lineno = jsonl_lineno(j);
		if (r < 0) {
			rc = IMP_EFILE;
		} else {
			json_error_t je;
			json_t *d = json_loadb(doc.p ? doc.p : "", doc.n, JSON_ALLOW_NUL, &je);
			if (!d) {
				rc = err_set(e, IMP_EFILE, "%s:%d: malformed JSON at column %d: %s", f->path,
				             je.line, je.column, je.text);
			} else {
				rc = import_sd_doc(&c, d, e);
				json_decref(d);
			}
			arena_free(&c.row);
			if (rc == IMP_BADROW) {
				/* The document is the file's only row: the file fails. */
				err_prefix(e, "%s: ", f->path);
				rc = IMP_EFILE;
			}
		}
		sb_free(&doc);
	} else {
		import_pipe *pp = import_pipe_start(j, kind);
		import_line *ln;
		int r;
		while ((r = import_pipe_next(pp, &ln, e)) == 1) {
			st->lines++;
			lineno = ln->line;
			if (ln->blank)
				continue;
			if (ln->status == IMP_EFILE) {
				rc = err_set(e, IMP_EFILE, "%s:%ld: %s", f->path, ln->line, ln->error);
				break;
			}
			if (ln->status)
				rc = err_set(e, IMP_BADROW, "%s", ln->error);
			else
				rc = import_np_store(&c, &ln->rec, e);
			if (rc == IMP_BADROW) {
				import_report(&c, ln->line, e->msg);
				st->bad_lines++;
				if (o->strict)
					break;
				rc = 0;
			} else if (rc) {
				break;
			}
			if ((st->lines & 255) == 0)
				progress_draw(o, done_before + ln->offset, total, t0, last, 0);
		}
		import_pipe_stop(pp);
		arena_free(&c.row);
		if (r < 0)
			rc = IMP_EFILE;
		if (rc == 0)
			lineno = jsonl_lineno(j);
	}
	if (rc == 0)
		rc = store_batch_mark(s, key, import_kind_name(f->kind), f->path, lineno, e);
	if (rc == 0)
		rc = store_commit(s, e);
	if (rc) {
		int fatal = rc == STORE_EBAD;
		store_rollback(s);
		/* Nothing of this file stays: take its rows out of the counts. */
		long bad = st->bad_lines, lines = st->lines;
		*st = before;
		st->bad_lines = bad;
		st->lines = lines;
		st->files_failed++;
		if (rc == IMP_BADROW)
			err_set(e, 2, "%s:%ld: stopped at a bad line (--strict); nothing of this file "
			        "was stored", f->path, lineno);
		else if (rc == IMP_EFILE && !strstr(e->msg, "nothing of this file"))
			sb_strcat_msg(e, "; nothing of this file was stored");
		rc = fatal ? STORE_EBAD : IMP_EFILE;
	} else {
		st->files++;
	}
	jsonl_close(j);
	free(key);
	return rc;
}

int import_paths(store *s, char *const *paths, int n, const import_opts *o, import_stats *st,
                 saex_err *e)
{
	memset(st, 0, sizeof *st);
	double t0 = now_seconds(), last = 0;
	imp_list l = {0};
	for (int i = 0; i < n; i++) {
		struct stat sbuf;
		if (stat(paths[i], &sbuf) != 0) {
			list_free(&l);
			return err_set(e, 2, "%s: %s", paths[i], strerror(errno));
		}
		size_t before = l.n;
		if (S_ISDIR(sbuf.st_mode))
			scan_dir(&l, paths[i], 4, o->saedashboard);
		else
			list_add(&l, paths[i], file_kind(paths[i], o));
		if (l.n == before) {
			list_free(&l);
			return err_set(e, 2, "%s: no %s found here", paths[i],
			               o->saedashboard ? "SAEDashboard .json files"
			                               : "Neuronpedia export (features/, activations/, "
			                                 "explanations/ or *.jsonl files)");
		}
	}
	int64_t total = 0, done = 0;
	for (size_t i = 0; i < l.n; i++)
		total += l.v[i].size;
	int ret = 0;
	saex_err fe;
	for (size_t i = 0; i < l.n; i++) {
		int rc = import_file(s, &l.v[i], o, st, done, total, t0, &last, &fe);
		done += l.v[i].size;
		st->bytes += l.v[i].size;
		progress_draw(o, done, total, t0, &last, 0);
		if (rc == STORE_EBAD) {
			/* The database itself failed: stop here. */
			*e = fe;
			ret = 2;
			break;
		}
		if (rc) {
			/* A damaged or (with --strict) bad file: say so, go on unless strict. */
			sb b = {0};
			esc_append(&b, fe.msg, strlen(fe.msg), 0);
			if (o->progress)
				fputc('\n', stderr);
			fprintf(o->log ? o->log : stderr, "%s\n", b.p);
			sb_free(&b);
			ret = 2;
			if (o->strict) {
				*e = fe;
				break;
			}
		}
	}
	if (ret && !o->strict && st->files_failed && !(e->msg[0] && e->code == STORE_EBAD))
		err_set(e, 2, "%ld file%s not imported (see above); the others are stored",
		        st->files_failed, st->files_failed == 1 ? " was" : "s were");
	progress_draw(o, done, total, t0, &last, 1);
	st->seconds = now_seconds() - t0;
	list_free(&l);
	return ret;
}
