/* gen_keys.c - prints the man page's key tables (roff) from the action
 * table and each view's keys: `make man-keys` writes them to
 * man/keys.roff; a test compares. */
#include "config.h"
#include "actions.h"
#include "app.h"

#include <string.h>

/* The man page's name of each view. */
static const char *gk_title(const char *name)
{
	static const struct { const char *name, *title; } titles[] = {
		{"catalog", "the catalog"}, {"features", "a feature list"}, {"feature", "a dashboard"},
		{"search", "search results"}, {"test", "a live test"}, {"infer", "search by inference"},
		{"steer", "steering"}, {"steer-log", "the steering log"}, {"lists", "the lists"},
		{"list", "a list"},
	};
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (!strcmp(titles[i].name, name))
			return titles[i].title;
	return name;
}

int main(void)
{
	action_write_roff(stdout);
	for (const view_ops *const *v = app_views; *v; v++) {
		if (!(*v)->keys)
			continue;
		printf(".PP\nIn %s:\n", gk_title((*v)->name));
		for (const view_key *k = (*v)->keys; k->act != ACT_NONE; k++)
			action_write_roff_entry(stdout, k->act, k->help);
	}
	return ferror(stdout) ? 1 : 0;
}
