/* outfile.c - see outfile.h */
#include "config.h"
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 1 when the regular file st is one of the files directly inside dir. */
static int outfile_in_dir(const struct stat *st, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int hit = 0;
	while (!hit && (de = readdir(d))) {
		char p[PATH_MAX];
		struct stat s2;
		if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < sizeof p && stat(p, &s2) == 0 &&
		    S_ISREG(s2.st_mode))
			hit = s2.st_dev == st->st_dev && s2.st_ino == st->st_ino;
	}
	closedir(d);
	return hit;
}

int outfile_check(const char *out, const char *const *inputs, size_t n, char *why, size_t whylen)
{
	struct stat st;
	if (stat(out, &st) != 0)
		return 0; /* a new file replaces nothing */
	for (size_t i = 0; i < n; i++) {
		struct stat in;
		if (!inputs[i] || stat(inputs[i], &in) != 0)
			continue;
		int same = in.st_dev == st.st_dev && in.st_ino == st.st_ino;
		if (same || (S_ISDIR(in.st_mode) && S_ISREG(st.st_mode) && outfile_in_dir(&st, inputs[i]))) {
			snprintf(why, whylen, "%s: is %s%s (an input of this command); choose another file", out,
			         same ? "" : "a file of ", inputs[i]);
			return -1;
		}
	}
	return 0;
}

/* The file a path names: through a symlink, its target (when it resolves). */
static char *outfile_target(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *r = realpath(path, NULL);
		if (r)
			return r;
	}
	return strdup(path);
}

int outfile_open(outfile *o, const char *path, char *why, size_t whylen)
{
	memset(o, 0, sizeof *o);
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a folder" : "is not a regular file");
		return -1;
	}
	o->path = outfile_target(path);
	size_t n = o->path ? strlen(o->path) + 32 : 0;
	o->tmp = n ? malloc(n) : NULL;
	if (!o->path || !o->tmp) {
		snprintf(why, whylen, "%s: out of memory", path);
		outfile_abort(o);
		return -1;
	}
	const char *slash = strrchr(o->path, '/');
	int dirlen = slash ? (int)(slash - o->path + 1) : 0;
	uint64_t r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20) ^ (uint64_t)(uintptr_t)o;
	for (int tries = 0; tries < 100; tries++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		snprintf(o->tmp, n, "%.*s.%s.%06x", dirlen, o->path, o->path + dirlen, (unsigned)(r >> 40));
		int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
			snprintf(why, whylen, "%s: cannot create a file beside it: %s", path, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(o->tmp);
			}
			free(o->tmp);
			o->tmp = NULL;
			outfile_abort(o);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "%s: cannot create a file beside it", path);
	free(o->tmp);
	o->tmp = NULL;
	outfile_abort(o);
	return -1;
}

int outfile_commit(outfile *o, char *why, size_t whylen)
{
	int bad = fflush(o->f) != 0 || ferror(o->f);
	int err = errno;
	if (fclose(o->f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	o->f = NULL;
	if (!bad && rename(o->tmp, o->path) != 0) {
		bad = 1;
		err = errno;
	}
	if (bad) {
		snprintf(why, whylen, "%s: cannot write: %s (the file was left as it was)", o->path, strerror(err));
		outfile_abort(o);
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	outfile_abort(o);
	return 0;
}

void outfile_abort(outfile *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof *o);
}
