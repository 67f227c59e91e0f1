/* draw.h - the terminal: the only module that calls curses. */
#ifndef SAEX_DRAW_H
#define SAEX_DRAW_H

#include "grid.h"

/* Starts curses; *colors is 0 (attributes only: NO_COLOR or no colour),
 * 8 or 256. Returns -1 when the terminal cannot be used. */
int draw_start(int *colors);
void draw_stop(void);
/* The terminal's size. */
void draw_size(int *rows, int *cols);
/* Shows a grid (same size as the terminal). */
void draw_grid(const grid *g);
/* Next key (blocks); ERR-like -1 when input ended. DRAW_PASTE when the
 * terminal sent a bracketed paste: draw_paste_text has its bytes. */
int draw_key(void);
/* A key if one is waiting, else -1 at once. */
int draw_key_poll(void);
/* 1 when more input is already waiting (keys that came together: a paste
 * on a terminal without bracketed paste). */
int draw_key_waiting(void);
#define DRAW_PASTE 0x7fff0001
/* The bytes of the last DRAW_PASTE (borrowed until the next key); *n their
 * length. */
const char *draw_paste_text(size_t *n);
/* Writes an OSC 52 clipboard request holding text (base64-encoded); the
 * app checked it (app_copy_id). */
void draw_clipboard(const char *text);
/* Turns mouse reporting on or off. */
void draw_mouse(int on);
/* For a mouse key: 1 and *what (MOUSE_* of actions.h), *row, *col filled; 0
 * for mouse events saex does not use. */
int draw_mouse_event(int key, int *what, int *row, int *col);
/* The key code curses uses for a resize. */
int draw_resize_key(void);

#endif
