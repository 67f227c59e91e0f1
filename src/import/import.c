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
	char *explainer;    /* from an explanations-<model>/ folder, or NULL */
	int64_t size;
} imp_file;

/* Files and folders already seen, by device and inode: a folder reached
 * through a symlink loop is scanned once, a file reached twice is read once. */
typedef struct imp_seen {
	dev_t dev;
	ino_t ino;
} imp_seen;

typedef struct imp_list {
	imp_file *v;
	size_t n, cap;
	imp_seen *seen;
	size_t n_seen, cap_seen;
} imp_list;

/* 1 the first time the object at path is seen (or when it cannot be
 * stat'ed: the import then says why), 0 after. */
static int list_first_visit(imp_list *l, const char *path)
{
	struct stat sbuf;
	if (stat(path, &sbuf) != 0)
		return 1;
	for (size_t i = 0; i < l->n_seen; i++)
		if (l->seen[i].dev == sbuf.st_dev && l->seen[i].ino == sbuf.st_ino)
			return 0;
	if (l->n_seen == l->cap_seen) {
		l->cap_seen = l->cap_seen ? l->cap_seen * 2 : 16;
		l->seen = xrealloc(l->seen, l->cap_seen * sizeof *l->seen);
	}
	l->seen[l->n_seen++] = (imp_seen){sbuf.st_dev, sbuf.st_ino};
	return 1;
}

static const char *const kind_names[] = {
	[IMP_AUTO] = "auto", [IMP_FEATURES] = "features", [IMP_ACTIVATIONS] = "activations",
	[IMP_EXPLANATIONS] = "explanations", [IMP_MODEL] = "model", [IMP_RELEASE] = "release",
	[IMP_SOURCESET] = "sourceset", [IMP_SOURCE] = "source", [IMP_SAEDASHBOARD] = "saedashboard",
	[IMP_EVAL] = "eval",
	[IMP_API_FEATURE] = "api-feature",
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

/* Writes "path:line: msg" and suffix on the log, escaped for the terminal. */
static void import_log(import_ctx *c, long line, const char *msg, const char *suffix)
{
	FILE *log = c->o->log ? c->o->log : stderr;
	sb b = {0};
	unsigned fl = esc_locale_flags();
	esc_append(&b, c->path, strlen(c->path), fl);
	if (line > 0)
		sb_printf(&b, ":%ld", line);
	sb_adds(&b, ": ");
	esc_append(&b, msg, strlen(msg), fl);
	fprintf(log, "%s%s\n", b.p, suffix);
	sb_free(&b);
}

void import_report(import_ctx *c, long line, const char *msg)
{
	import_log(c, line, msg, c->o->strict ? "" : " (skipped)");
}

void import_bad(import_ctx *c, long line, const char *msg)
{
	if (c->bad++ == 0) {
		if (line > 0)
			snprintf(c->first_bad, sizeof c->first_bad, "line %ld: %s", line, msg);
		else
			snprintf(c->first_bad, sizeof c->first_bad, "%s", msg);
	}
	c->st->bad_lines++;
	if (c->bad <= IMP_REPORT_MAX)
		import_report(c, line, msg);
}

static void list_add(imp_list *l, const char *path, import_kind kind, const char *explainer)
{
	if (!list_first_visit(l, path))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	struct stat sbuf;
	l->v[l->n].path = xstrdup(path);
	l->v[l->n].kind = kind;
	l->v[l->n].explainer = explainer ? xstrdup(explainer) : NULL;
	l->v[l->n].size = stat(path, &sbuf) == 0 && S_ISREG(sbuf.st_mode) ? (int64_t)sbuf.st_size : 0;
	l->n++;
}

static void list_free(imp_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].explainer);
	}
	free(l->v);
	free(l->seen);
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
static void add_kind_dir(imp_list *l, const char *dir, import_kind kind, int want_json,
                         const char *explainer)
{
	size_t n;
	char **names = dir_names(dir, &n);
	for (size_t i = 0; i < n; i++) {
		if (want_json ? !is_json(names[i]) : !is_jsonl(names[i]))
			continue;
		char *p = xasprintf("%s/%s", dir, names[i]);
		if (is_file(p))
			list_add(l, p, kind, explainer);
		free(p);
	}
	names_free(names, n);
}

/* "explanations-gpt-4o-mini" -> "gpt-4o-mini": Neuronpedia's exports name a
 * folder of one explainer's explanations so. NULL for other names. */
static const char *explainer_folder(const char *name)
{
	static const char pre[] = "explanations-";
	return strncmp(name, pre, sizeof pre - 1) == 0 && name[sizeof pre - 1] ? name + sizeof pre - 1 : NULL;
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
	size_t n;
	char **names = dir_names(dir, &n);
	int yes = 0;
	for (size_t i = 0; i < n && !yes; i++)
		yes = explainer_folder(names[i]) != NULL;
	names_free(names, n);
	return yes;
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
				list_add(l, p, meta[i].kind, NULL);
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
			add_kind_dir(l, p, data[i].kind, 0, NULL);
		free(p);
	}
	size_t n;
	char **names = dir_names(dir, &n);
	for (size_t i = 0; i < n; i++) {
		const char *who = explainer_folder(names[i]);
		char *p = xasprintf("%s/%s", dir, names[i]);
		if (who && is_dir(p))
			add_kind_dir(l, p, IMP_EXPLANATIONS, 0, who);
		free(p);
	}
	names_free(names, n);
}

/* Finds export folders below dir (model/source/ layouts), depth-limited;
 * each folder once, however many symlinks lead to it. */
static void scan_dir(imp_list *l, const char *dir, int depth, int sd)
{
	if (!list_first_visit(l, dir))
		return;
	if (sd) {
		add_kind_dir(l, dir, IMP_SAEDASHBOARD, 1, NULL);
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

/* The parent folder's name of path (a pointer into path, len in *n), or
 * NULL when path names no folder. */
static const char *parent_name(const char *path, const char *base, size_t *n)
{
	if (base == path)
		return NULL;
	const char *end = base - 1, *p = end;
	while (p > path && p[-1] != '/')
		p--;
	*n = (size_t)(end - p);
	return *n ? p : NULL;
}

/* The kind of a single file: --kind, else its folder or name says; an
 * explanations-<model>/ folder's model goes to *explainer (a copy). */
static import_kind file_kind(const char *path, const import_opts *o, char **explainer)
{
	*explainer = NULL;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dl = 0;
	const char *dir = parent_name(path, base, &dl);
	char *dname = dir ? xstrndup(dir, dl) : NULL;
	const char *who = dname ? explainer_folder(dname) : NULL;
	if (who && (o->kind == IMP_AUTO || o->kind == IMP_EXPLANATIONS))
		*explainer = xstrdup(who);
	import_kind k = IMP_AUTO;
	static const struct { const char *name; import_kind kind; } dirs[] = {
		{"features", IMP_FEATURES}, {"activations", IMP_ACTIVATIONS},
		{"explanations", IMP_EXPLANATIONS},
	};
	static const struct { const char *prefix; import_kind kind; } names[] = {
		{"model.jsonl", IMP_MODEL}, {"release.jsonl", IMP_RELEASE},
		{"sourceset.jsonl", IMP_SOURCESET}, {"source.jsonl", IMP_SOURCE}, {"eval.jsonl", IMP_EVAL},
	};
	if (o->kind != IMP_AUTO)
		k = o->kind;
	else if (o->saedashboard)
		k = IMP_SAEDASHBOARD;
	for (size_t i = 0; k == IMP_AUTO && i < SAEX_ARRAY_LEN(names); i++)
		if (strncmp(base, names[i].prefix, strlen(names[i].prefix)) == 0)
			k = names[i].kind;
	for (size_t i = 0; k == IMP_AUTO && dname && i < SAEX_ARRAY_LEN(dirs); i++)
		if (strcmp(dname, dirs[i].name) == 0)
			k = dirs[i].kind;
	if (k == IMP_AUTO && who)
		k = IMP_EXPLANATIONS;
	free(dname);
	return k;
}

/* Progress over the whole import: bytes of the files done before this one,
 * of all files, the start time and the last drawing. */
typedef struct imp_prog {
	int64_t done, total;
	double t0, last;
} imp_prog;

static void progress_draw(const import_opts *o, imp_prog *pg, int64_t done, int final)
{
	if (!o->progress)
		return;
	double t = now_seconds();
	if (!final && t - pg->last < 0.1)
		return;
	pg->last = t;
	double frac = pg->total > 0 ? (double)done / (double)pg->total : 1;
	if (frac > 1)
		frac = 1;
	int width = 30, fill = (int)(frac * width + 0.5);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = 0;
	double el = t - pg->t0, eta = frac > 0.001 ? el / frac - el : 0;
	fprintf(stderr, "\r[%s] %5.1f%%  %.1f MB  %.0fs elapsed, %.0fs left \033[K", bar,
	        frac * 100, done / 1e6, el, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* The key a file is recorded under: its kind, content and the options that
 * change what its rows become. */
static char *file_key(const imp_file *f, const import_opts *o, const char *content)
{
	return xasprintf("%s:%s:%s:%s%s%s", import_kind_name(f->kind), content, o->model ? o->model : "",
	                 o->source ? o->source : "", f->explainer ? ":" : "", f->explainer ? f->explainer : "");
}

/* 1 when the file is read as one JSON document (a .json name, SAEDashboard
 * output, or a first line that opens a pretty-printed value), 0 when it
 * holds one row a line; -1 on a read error. */
static int file_is_document(jsonl *j, const imp_file *f, saex_err *e)
{
	if (f->kind == IMP_SAEDASHBOARD || is_json(f->path))
		return 1;
	if (is_jsonl(f->path))
		return 0;
	const char *line;
	size_t n;
	int r = jsonl_peek_line(j, &line, &n, e);
	if (r <= 0)
		return r;
	while (n && strchr(" \t\r", line[n - 1]))
		n--;
	while (n && strchr(" \t", line[0])) {
		line++;
		n--;
	}
	return line[0] == '[' || (n == 1 && line[0] == '{');
}

/* Reads a file of one row a line (parsed on a second thread). */
static int import_lines(import_ctx *c, jsonl *j, import_kind kind, imp_prog *pg, saex_err *e)
{
	import_pipe *pp = import_pipe_start(j, kind);
	import_line *ln;
	int r, rc = 0;
	while ((r = import_pipe_next(pp, &ln, e)) == 1) {
		c->st->lines++;
		c->line = ln->line;
		if (ln->blank)
			continue;
		if (ln->status == IMP_EFILE || ln->status == IMP_ENOMEM) {
			rc = err_set(e, ln->status, "%s:%ld: %s", c->path, ln->line, ln->error);
			break;
		}
		if (ln->status)
			rc = err_set(e, IMP_BADROW, "%s", ln->error);
		else
			rc = import_np_store(c, &ln->rec, e);
		arena_reset(&c->row); /* what a catalog or nested row needed */
		if (rc == IMP_BADROW) {
			import_bad(c, ln->line, e->msg);
			if (c->o->strict)
				break;
			rc = 0;
		} else if (rc) {
			break;
		}
		if ((c->st->lines & 255) == 0)
			progress_draw(c->o, pg, pg->done + ln->offset, 0);
	}
	import_pipe_stop(pp);
	if (r < 0)
		rc = e->code == JSONL_ENOMEM ? IMP_ENOMEM : IMP_EFILE;
	return rc;
}

/* Rows of the file that were stored or found already stored. */
static long rows_read(const import_stats *st, const import_stats *before)
{
	return (st->features - before->features) + (st->activations - before->activations) +
	       (st->explanations - before->explanations) + (st->catalog - before->catalog) +
	       (st->unchanged - before->unchanged) + (st->updated - before->updated);
}

/* Ends a file's transaction: a file with rows of which none could be read
 * fails; otherwise it is recorded under the key of what was read. */
static int import_end(import_ctx *c, jsonl *j, const imp_file *f, const import_stats *before, int doc,
                      saex_err *e)
{
	if (c->bad > IMP_REPORT_MAX) {
		char more[96];
		snprintf(more, sizeof more, "%ld more bad %s in this file (not shown)", c->bad - IMP_REPORT_MAX,
		         doc ? "rows" : "lines");
		import_log(c, 0, more, "");
	}
	long read = rows_read(c->st, before);
	if (c->bad && read == 0)
		return err_set(e, IMP_EFILE, "%s: nothing in this file could be read (%ld bad %s%s; the first, %s)",
		               f->path, c->bad, doc ? "row" : "line", c->bad == 1 ? "" : "s", c->first_bad);
	if (read == 0) {
		/* Not recorded: a pipe whose writer had not started yet, or a file
		 * filled in later, is read again next time. */
		import_log(c, 0, "empty: nothing to import", "");
		return store_commit(c->s, e);
	}
	char *raw = jsonl_key(j), *key = file_key(f, c->o, raw);
	int rc = store_batch_mark(c->s, key, import_kind_name(f->kind), f->path, jsonl_lineno(j), e);
	free(raw);
	free(key);
	return rc ? rc : store_commit(c->s, e);
}

/* Takes a failed file's rows out of the counts and says what happened;
 * returns the class: STORE_EBAD or IMP_ENOMEM stop the run, IMP_EFILE not. */
static int import_failed(store *s, const imp_file *f, const import_opts *o, import_stats *st,
                         const import_stats *before, long lineno, int rc, saex_err *e)
{
	store_rollback(s);
	long bad = st->bad_lines, lines = st->lines;
	*st = *before;
	st->bad_lines = bad;
	st->lines = lines;
	st->files_failed++;
	if (rc == IMP_BADROW)
		err_set(e, 2, "%s:%ld: stopped at a bad line (--strict); nothing of this file was stored", f->path,
		        lineno);
	else if (!strstr(e->msg, "nothing of this file") && !strstr(e->msg, "nothing in this file"))
		sb_strcat_msg(e, rc == IMP_ENOMEM ? "; nothing of this file was stored, and it is not recorded as "
		                                    "imported: run the import again with more memory"
		                                  : "; nothing of this file was stored");
	return rc == STORE_EBAD || rc == IMP_ENOMEM ? rc : IMP_EFILE;
}

/* Imports one file in one transaction. */
static int import_file(store *s, imp_file *f, const import_opts *o, import_stats *st, imp_prog *pg,
                       saex_err *e)
{
	saex_err ke = {{0}, 0};
	char *pre = jsonl_file_key(f->path, &ke);
	if (!pre && ke.code) {
		*e = ke;
		st->files_failed++;
		return ke.code == JSONL_ENOMEM ? IMP_ENOMEM : IMP_EFILE;
	}
	char *key = pre ? file_key(f, o, pre) : NULL; /* a pipe's key is known only once read */
	free(pre);
	int done = key && store_batch_done(s, key);
	free(key);
	if (done) {
		st->files_done_before++;
		return 0;
	}
	jsonl *j;
	if (jsonl_open(&j, f->path, e)) {
		st->files_failed++;
		return e->code == JSONL_ENOMEM ? IMP_ENOMEM : IMP_EFILE;
	}
	import_ctx c = {s, o, st, f->path, f->explainer, 0, 0, "", {0}};
	import_stats before = *st;
	if (store_begin(s, e)) {
		jsonl_close(j);
		return STORE_EBAD;
	}
	int doc = file_is_document(j, f, e);
	int rc = doc < 0 ? IMP_EFILE : doc ? import_doc(&c, j, f->kind, e) : import_lines(&c, j, f->kind, pg, e);
	arena_free(&c.row);
	if (rc == 0)
		rc = import_end(&c, j, f, &before, doc, e);
	if (rc)
		rc = import_failed(s, f, o, st, &before, c.line, rc, e);
	else
		st->files++;
	st->bytes += jsonl_raw_offset(j);
	jsonl_close(j);
	return rc;
}

int import_paths(store *s, char *const *paths, int n, const import_opts *o, import_stats *st,
                 saex_err *e)
{
	memset(st, 0, sizeof *st);
	e->msg[0] = 0;
	e->code = 0;
	double t0 = now_seconds();
	imp_list l = {0};
	for (int i = 0; i < n; i++) {
		struct stat sbuf;
		if (stat(paths[i], &sbuf) != 0) {
			list_free(&l);
			return err_set(e, 2, "%s: %s", paths[i], strerror(errno));
		}
		size_t before = l.n;
		if (S_ISDIR(sbuf.st_mode)) {
			scan_dir(&l, paths[i], 4, o->saedashboard);
		} else {
			char *who;
			import_kind k = file_kind(paths[i], o, &who);
			list_add(&l, paths[i], k, who);
			free(who);
			if (l.n == before)
				continue; /* the same file twice */
		}
		if (l.n == before) {
			list_free(&l);
			return err_set(e, 2, "%s: no %s found here", paths[i],
			               o->saedashboard ? "SAEDashboard .json files"
			                               : "Neuronpedia export (features/, activations/, "
			                                 "explanations/ or *.jsonl files)");
		}
	}
	imp_prog pg = {0, 0, t0, 0};
	for (size_t i = 0; i < l.n; i++)
		pg.total += l.v[i].size;
	int ret = 0;
	saex_err fe;
	for (size_t i = 0; i < l.n; i++) {
		fe.msg[0] = 0;
		fe.code = 0;
		int rc = import_file(s, &l.v[i], o, st, &pg, &fe);
		pg.done += l.v[i].size;
		progress_draw(o, &pg, pg.done, 0);
		if (rc == STORE_EBAD || rc == IMP_ENOMEM) {
			/* The database or the memory failed: stop here. */
			*e = fe;
			e->code = rc;
			ret = 2;
			break;
		}
		if (rc) {
			/* A damaged or (with --strict) bad file: say so, go on unless strict. */
			sb b = {0};
			esc_append(&b, fe.msg, strlen(fe.msg), esc_locale_flags());
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
	if (ret && !o->strict && st->files_failed && e->code != STORE_EBAD && e->code != IMP_ENOMEM)
		err_set(e, 2, "%ld file%s not imported (see above); the others are stored",
		        st->files_failed, st->files_failed == 1 ? " was" : "s were");
	progress_draw(o, &pg, pg.done, 1);
	st->seconds = now_seconds() - t0;
	list_free(&l);
	return ret;
}
