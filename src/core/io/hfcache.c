/* hfcache.c - models (and SAE repositories) by name in the local Hugging
 * Face cache: saex_hf_resolve, as described in saex_model.h. */
#include "config.h"
#include "saex.h"
#include "tensor_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The snapshot of repository folder repo: refs/main's commit when that
 * snapshot exists, else the most recently changed one. 0, or -1. */
static int pick_snapshot(const char *repo, char *out, size_t outlen)
{
	char p[4096], ref[256] = "";
	snprintf(p, sizeof p, "%s/refs/main", repo);
	char why[64];
	int fd = util_open_read(p, 0, NULL, why, sizeof why);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (fd >= 0 && !f)
		close(fd);
	if (f) {
		if (!fgets(ref, sizeof ref, f))
			ref[0] = 0;
		fclose(f);
		ref[strcspn(ref, " \t\r\n")] = 0;
		if (ref[0] && !strchr(ref, '/') && strcmp(ref, ".") && strcmp(ref, "..")) {
			snprintf(p, sizeof p, "%s/snapshots/%s", repo, ref);
			if (is_dir(p) && (size_t)snprintf(out, outlen, "%s", p) < outlen)
				return 0;
		}
	}
	snprintf(p, sizeof p, "%s/snapshots", repo);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	struct dirent *de;
	double best = -1;
	int rc = -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char q[4096];
		struct stat st;
		if ((size_t)snprintf(q, sizeof q, "%s/%s", p, de->d_name) >= sizeof q || stat(q, &st) ||
		    !S_ISDIR(st.st_mode))
			continue;
		double t = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
		if (t > best && strlen(q) < outlen) {
			best = t;
			memcpy(out, q, strlen(q) + 1);
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* The cache folders to look in, in order; n of them written to roots. */
static int cache_roots(char roots[4][2048])
{
	const char *v;
	int n = 0;
	if ((v = getenv("HF_HUB_CACHE")) && *v)
		snprintf(roots[n++], 2048, "%s", v);
	if ((v = getenv("HF_HOME")) && *v)
		snprintf(roots[n++], 2048, "%s/hub", v);
	if ((v = getenv("XDG_CACHE_HOME")) && *v)
		snprintf(roots[n++], 2048, "%s/huggingface/hub", v);
	if ((v = getenv("HOME")) && *v)
		snprintf(roots[n++], 2048, "%s/.cache/huggingface/hub", v);
	return n;
}

/* NAME or ORG/NAME (then an optional sub-folder) looked up in the cache
 * roots: the snapshot (and sub-folder) into out. */
static int hf_lookup(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	char repo[4096], snap[4096];
	const char *s1 = strchr(name, '/');
	const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	char id[1100];
	size_t idlen = s2 ? (size_t)(s2 - name) : strlen(name);
	if (s1 && (size_t)(s1 - name) < idlen)
		snprintf(id, sizeof id, "models--%.*s--%.*s", (int)(s1 - name), name, (int)(idlen - (size_t)(s1 - name) - 1),
		         s1 + 1);
	else
		snprintf(id, sizeof id, "models--%.*s", (int)idlen, name);
	char roots[4][2048];
	int n = cache_roots(roots);
	for (int i = 0; i < n; i++) {
		snprintf(repo, sizeof repo, "%s/%s", roots[i], id);
		if (!is_dir(repo))
			continue;
		if (pick_snapshot(repo, snap, sizeof snap))
			return tensor_fail(err, errlen, "%s: %s has no snapshot", name, repo);
		if ((size_t)snprintf(out, outlen, "%s%s", snap, s2 ? s2 : "") >= outlen)
			return tensor_fail(err, errlen, "%s: the path is too long", name);
		if (!is_dir(out))
			return tensor_fail(err, errlen, "%s: no folder %s in the snapshot %s", name, s2 + 1, snap);
		return 0;
	}
	char where[4 * 2050 + 32] = "";
	for (int i = 0; i < n; i++)
		snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s", i ? ", " : "", roots[i]);
	return tensor_fail(err, errlen, "%s: no such folder, and no %s in the Hugging Face cache (looked in %s; set "
	                   "HF_HOME or give the folder)", name, id, n ? where : "nothing: HOME is not set");
}

int saex_hf_resolve(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	char repo[4096];
	if (is_dir(name)) {
		snprintf(repo, sizeof repo, "%s/snapshots", name);
		if (is_dir(repo)) {
			if (pick_snapshot(name, out, outlen))
				return tensor_fail(err, errlen, "%s: a Hugging Face cache folder with no snapshot", name);
			return 0;
		}
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
			return tensor_fail(err, errlen, "%s: the path is too long", name);
		return 0;
	}
	/* a path: say why it is not a folder */
	struct stat st;
	if (!*name || name[0] == '/' || name[0] == '.' || strstr(name, "..") || strstr(name, "//") ||
	    strlen(name) > 1024 || stat(name, &st) == 0)
		return tensor_fail(err, errlen, "%s: %s", name, stat(name, &st) ? strerror(errno) : "not a folder");
	return hf_lookup(name, out, outlen, err, errlen);
}

/* 1 when name is NAME or ORG/NAME, then optional /SUB/FOLDERS, each part
 * of letters, digits, '-', '_' and '.' (not "." or ".."): never a path. */
static int hf_valid_name(const char *name)
{
	size_t n = strlen(name), part = 0;
	if (n == 0 || n > 1024)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = name[i];
		if (c == '/' || c == 0) {
			if (part == 0 || (part == 1 && name[i - 1] == '.') ||
			    (part == 2 && name[i - 1] == '.' && name[i - 2] == '.'))
				return 0;
			part = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return 0;
		part++;
	}
	return 1;
}

int saex_hf_resolve_name(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	if (!hf_valid_name(name))
		return tensor_fail(err, errlen, "%s: not a Hugging Face name (ORG/NAME[/FOLDER]); names from data are "
		                   "looked up only in the Hugging Face cache, never opened as paths", name);
	return hf_lookup(name, out, outlen, err, errlen);
}
