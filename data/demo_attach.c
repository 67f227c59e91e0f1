/* demo_attach.c - records where an installed demo's weights live.
 *
 * usage: demo_attach DB MODEL SOURCE MODELDIR SAEDIR
 *
 * `make install` copies data/demo.db, whose weights row names the build
 * folder, and runs this on the copy with the installed folders
 * ($(pkgdatadir)/demo-model, demo-sae). Unlike `saex attach` it does not
 * load the folders: under DESTDIR (staged installs, packages) they are not
 * at their final place yet. */
#include "config.h"
#include "store.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: demo_attach DB MODEL SOURCE MODELDIR SAEDIR\n");
		return 2;
	}
	saex_err e = {{0}, 0};
	store *s = NULL;
	int64_t src;
	int rc = store_open(&s, argv[1], STORE_WRITE, &e);
	if (rc == 0)
		rc = store_source_ensure(s, argv[2], argv[3], &src, &e);
	if (rc == 0)
		rc = store_weights_put(s, src, argv[4], argv[5], &e);
	store_close(s);
	if (rc) {
		fprintf(stderr, "demo_attach: %s: %s\n", argv[1], e.msg);
		return 1;
	}
	return 0;
}
