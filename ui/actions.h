/* actions.h - the explorer's actions (from actions.def) and key bindings. */
#ifndef SAEX_ACTIONS_H
#define SAEX_ACTIONS_H

typedef enum {
	ACT_NONE = 0,
#define ACTION(id, name, keys, help) ACT_##id,
#include "actions.def"
#undef ACTION
	ACT__COUNT
} action;

/* Mouse events, as draw.c reports them to app_mouse. */
enum { MOUSE_WHEEL_UP, MOUSE_WHEEL_DOWN, MOUSE_CLICK };

typedef struct action_info {
	const char *name, *keys, *help;
} action_info;

/* Static information of an action. */
const action_info *action_get(action a);

/* Key codes as ncurses gives them (KEY_* values and characters); this
 * header does not include curses: actions.c maps the names. */
action action_for_key(int key);
/* 1 when key is the named key ("Enter", "Backspace", "Esc", ...), with
 * the usual alternative codes terminals send. */
int key_is(int key, const char *name);

/* Writes the man page's key table (roff) to f: every action; one entry
 * (help NULL: the action's own). */
#include <stdio.h>
void action_write_roff(FILE *f);
void action_write_roff_entry(FILE *f, action a, const char *help);

#endif
