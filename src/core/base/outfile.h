/* outfile.h - writing an output file so that nothing is lost: the bytes go
 * to a new file beside the target, which replaces the target only once
 * they are all written (a rename, so readers see the old file or the new
 * one, never half of either), and an output that is one of the command's
 * own inputs is refused before anything is written.
 *
 * Internal to saex (not exported by libsaex). Not thread-safe per object;
 * different objects may be used from different threads. */
#ifndef SAEX_OUTFILE_H
#define SAEX_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct outfile {
	char *path;     /* the target (through a symlink: the file it names) */
	char *tmp;      /* the new file being written, beside path */
	FILE *f;        /* open on tmp for writing */
} outfile;

/* Refuses an output that would replace an input: 0 when out does not
 * exist or is none of inputs[0..n) (same device and inode, so through
 * symlinks and hard links too); an input that is a folder stands for the
 * files directly inside it (a model or SAE folder). -1 with
 * "OUT: is ... (an input of this command); choose another file" in why. */
int outfile_check(const char *out, const char *const *inputs, size_t n, char *why, size_t whylen);

/* Creates the new file beside path (permissions from the umask, as fopen
 * gives). 0, or -1 with "PATH: reason" in why. */
int outfile_open(outfile *o, const char *path, char *why, size_t whylen);
/* Flushes, closes and renames the new file over the target. 0, or -1 with
 * the reason in why (the new file removed, the target untouched). */
int outfile_commit(outfile *o, char *why, size_t whylen);
/* Removes the new file; the target stays as it was. Safe after commit and
 * on a zeroed object. */
void outfile_abort(outfile *o);

#endif
