/* hfcache.c - models and SAE repositories by name in the local Hugging
 * Face cache: saex_hf_resolve (saex_model.h), Gemma Scope's canonical
 * folders, and the names SAEs and Neuronpedia give models and SAEs turned
 * into repositories (saex_sae.h). */
#include "config.h"
#include "saex.h"
#include "tensor_util.h"

#include <ctype.h>
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

/* A Gemma Scope ".../width_W/canonical" that is not a folder: the
 * average_l0_N folder beside it whose N is nearest 100, the lower N on a
 * tie (the rule of Gemma Scope's model cards; SAELens's canonical lists
 * follow it), in place of the last component of path. 1 when replaced, 0
 * when path is no such name, -1 with err when no such folder is there. */
static int canonical(char *path, size_t len, const char *name, char *err, size_t errlen)
{
	char *slash = strrchr(path, '/');
	if (!slash || strcmp(slash + 1, "canonical") || is_dir(path))
		return 0;
	*slash = 0;
	DIR *d = opendir(path);
	if (!d) { /* not a folder of ours: a name to look up in the cache */
		*slash = '/';
		return 0;
	}
	long best = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *e, sub[4096];
		long n = strncmp(de->d_name, "average_l0_", 11) ? -1 : strtol(de->d_name + 11, &e, 10);
		if (n < 0 || e == de->d_name + 11 || *e || (size_t)snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >=
		    sizeof sub || !is_dir(sub))
			continue;
		long dn = labs(n - 100), db = labs(best - 100);
		if (best < 0 || dn < db || (dn == db && n < best))
			best = n;
	}
	closedir(d);
	if (best < 0) {
		int rc = tensor_fail(err, errlen, "%s: no average_l0_N folder in %s to take as the canonical one (download "
		                     "one, e.g. the folder its Neuronpedia source names)", name, path);
		*slash = '/';
		return rc;
	}
	size_t at = (size_t)(slash - path);
	if ((size_t)snprintf(slash, len - at, "/average_l0_%ld", best) >= len - at)
		return tensor_fail(err, errlen, "%s: the path is too long", name);
	return 1;
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
		if (canonical(out, outlen, name, err, errlen) < 0)
			return -1;
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
	if (!is_dir(name) && (size_t)snprintf(out, outlen, "%s", name) < outlen) {
		int rc = canonical(out, outlen, name, err, errlen);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
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

/* ---------------------------------------------------------------- names */

/* Models whose TransformerLens or Neuronpedia name does not say its
 * repository (the families saex runs). */
static const struct {
	const char *name, *repo, *alt;
} model_repos[] = {
	{"gpt2", "openai-community/gpt2", "gpt2"},
	{"gpt2-small", "openai-community/gpt2", "gpt2"},
	{"gpt2-medium", "openai-community/gpt2-medium", "gpt2-medium"},
	{"gpt2-large", "openai-community/gpt2-large", "gpt2-large"},
	{"gpt2-xl", "openai-community/gpt2-xl", "gpt2-xl"},
	{"gemma-3-270m", "google/gemma-3-270m", NULL},
	{"gemma-3-1b", "google/gemma-3-1b-pt", NULL},
	{"gemma-3-4b", "google/gemma-3-4b-pt", NULL},
	{"gemma-3-12b", "google/gemma-3-12b-pt", NULL},
	{"gemma-3-27b", "google/gemma-3-27b-pt", NULL},
	{"llama3.1-8b", "meta-llama/Llama-3.1-8B", "meta-llama/Meta-Llama-3.1-8B"},
	{"llama3.1-8b-it", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3.1-8B-Instruct"},
	{"llama3-8b-it", "meta-llama/Meta-Llama-3-8B-Instruct", NULL},
	{"qwen2.5-7b-it", "Qwen/Qwen2.5-7B-Instruct", NULL},
};

/* The repositories name may be cached under, best first: up to 3 into c;
 * *known: whether the first is a repository saex knows (not just name). */
static int model_candidates(const char *name, char c[3][256], int *known)
{
	int n = 0;
	*known = 1;
	if (strchr(name, '/')) {
		snprintf(c[n++], 256, "%s", name);
		return n;
	}
	for (size_t i = 0; i < sizeof model_repos / sizeof *model_repos; i++)
		if (!strcmp(name, model_repos[i].name)) {
			snprintf(c[n++], 256, "%s", model_repos[i].repo);
			if (model_repos[i].alt)
				snprintf(c[n++], 256, "%s", model_repos[i].alt);
			return n;
		}
	if (!strncmp(name, "gemma-", 6)) /* gemma-2-2b, gemma-2-9b-it, gemma-3-4b-it */
		snprintf(c[n++], 256, "google/%s", name);
	else if (!strncmp(name, "pythia-", 7))
		snprintf(c[n++], 256, "EleutherAI/%s", name);
	else if (!strncmp(name, "qwen3-", 6)) { /* qwen3-4b -> Qwen/Qwen3-4B */
		snprintf(c[n], 256, "Qwen/Qwen3-%s", name + 6);
		for (char *p = c[n] + 10; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		n++;
	}
	*known = n > 0;
	snprintf(c[n++], 256, "%s", name); /* a cache folder of that very name */
	return n;
}

int saex_hf_model_repo(const char *name, char *repo, size_t n)
{
	char c[3][256];
	int known;
	model_candidates(name, c, &known);
	return known && (size_t)snprintf(repo, n, "%s", c[0]) < n ? 0 : -1;
}

int saex_hf_find_model(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	char c[3][256], why[1024];
	int known, k = model_candidates(name, c, &known);
	for (int i = 0; i < k; i++) {
		char probe[4096];
		if (saex_hf_resolve_name(c[i], probe, sizeof probe, why, sizeof why) == 0) {
			if ((size_t)snprintf(out, outlen, "%s", probe) >= outlen)
				return tensor_fail(err, errlen, "%s: the path is too long", name);
			return 0;
		}
	}
	if (known)
		return tensor_fail(err, errlen, "the model %s is not in the Hugging Face cache: download it "
		                   "(huggingface-cli download %s)", name, c[0]);
	return tensor_fail(err, errlen, "the model %s is not in the Hugging Face cache, and saex does not know its "
	                   "repository: download it and pass --model", name);
}

int saex_hf_saelens_location(const char *release, const char *sae_id, char *repo, size_t rn, char *folder,
                             size_t fn)
{
	size_t rl = strlen(release);
	char x, y;
	int layer, mult, used;
	if (!strncmp(release, "gemma-scope-", 12)) {
		size_t keep = rl > 10 && !strcmp(release + rl - 10, "-canonical") ? rl - 10 : rl;
		return (size_t)snprintf(repo, rn, "google/%.*s", (int)keep, release) < rn &&
		       (size_t)snprintf(folder, fn, "%s", sae_id) < fn ? 0 : -1;
	}
	/* llama_scope_lxr_8x / l15r_8x -> fnlp/Llama3_1-8B-Base-LXR-8x / Llama3_1-8B-Base-L15R-8x */
	if (sscanf(release, "llama_scope_lx%c_%dx%n", &x, &mult, &used) == 2 && (size_t)used == rl &&
	    sscanf(sae_id, "l%d%c_%dx%n", &layer, &y, &mult, &used) == 3 && (size_t)used == strlen(sae_id) && x == y &&
	    strchr("ram", x)) {
		char up = (char)toupper((unsigned char)x);
		return (size_t)snprintf(repo, rn, "fnlp/Llama3_1-8B-Base-LX%c-%dx", up, mult) < rn &&
		       (size_t)snprintf(folder, fn, "Llama3_1-8B-Base-L%d%c-%dx", layer, up, mult) < fn ? 0 : -1;
	}
	if (!strcmp(release, "gpt2-small-res-jb"))
		return (size_t)snprintf(repo, rn, "jbloom/GPT2-Small-SAEs-Reformatted") < rn &&
		       (size_t)snprintf(folder, fn, "%s", sae_id) < fn ? 0 : -1;
	return -1;
}
