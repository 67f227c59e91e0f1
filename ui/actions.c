/* actions.c - the action table and its key bindings. */
#include "config.h"
#include "actions.h"

#include <curses.h>
#include <string.h>

static const action_info action_table[ACT__COUNT] = {
	[ACT_NONE] = {"none", "", ""},
#define ACTION(id, name, keys, help) [ACT_##id] = {name, keys, help},
#include "actions.def"
#undef ACTION
};

const action_info *action_get(action a)
{
	return a > ACT_NONE && a < ACT__COUNT ? &action_table[a] : &action_table[ACT_NONE];
}

/* The key code of one key name, or -1. */
static int action_key_code(const char *k, size_t n)
{
	static const struct { const char *name; int code; } named[] = {
		{"Up", KEY_UP}, {"Down", KEY_DOWN}, {"Left", KEY_LEFT}, {"Right", KEY_RIGHT},
		{"S-Left", KEY_SLEFT}, {"S-Right", KEY_SRIGHT},
		{"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE}, {"Home", KEY_HOME}, {"End", KEY_END},
		{"Enter", '\n'}, {"Backspace", KEY_BACKSPACE}, {"Esc", 27}, {"Tab", '\t'},
	};
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strlen(named[i].name) == n && memcmp(named[i].name, k, n) == 0)
			return named[i].code;
	if (n == 3 && k[0] == 'C' && k[1] == '-')
		return k[2] & 0x1f;
	if (n == 1)
		return (unsigned char)k[0];
	return -1;
}

/* Terminals send Enter as \r or KEY_ENTER, Backspace as 127 or 8. */
static int key_normal(int key)
{
	if (key == '\r' || key == KEY_ENTER)
		return '\n';
	if (key == 127 || key == 8)
		return KEY_BACKSPACE;
	return key;
}

int key_is(int key, const char *name)
{
	return key_normal(key) == action_key_code(name, strlen(name));
}

action action_for_key(int key)
{
	key = key_normal(key);
	for (int a = ACT_NONE + 1; a < ACT__COUNT; a++) {
		const char *k = action_table[a].keys;
		while (*k) {
			size_t n = strcspn(k, " ");
			if (action_key_code(k, n) == key)
				return (action)a;
			k += n;
			k += strspn(k, " ");
		}
	}
	return ACT_NONE;
}

void action_write_roff_entry(FILE *f, action a, const char *help)
{
	fputs(".TP\n.B ", f);
	for (const char *k = action_table[a].keys; *k; k++) {
		if (*k == '\\' || *k == '-')
			fputc('\\', f);
		fputc(*k == ' ' ? ',' : *k, f);
		if (*k == ' ')
			fputc(' ', f);
	}
	fprintf(f, "\n%s (%s).\n", help ? help : action_table[a].help, action_table[a].name);
}

void action_write_roff(FILE *f)
{
	fputs(".\\\" Generated from ui/actions.def by `make man-keys`: do not edit.\n", f);
	for (int a = ACT_NONE + 1; a < ACT__COUNT; a++)
		action_write_roff_entry(f, (action)a, NULL);
}
