/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tcpclose top on a terminal, with ncurses: the terminal's size and capabilities come from
 * terminfo for $TERM (over ssh too), a resize (SIGWINCH, which ncurses catches) redraws
 * at the new size, and endwin() gives the terminal back as it was.
 */
#ifndef __TOP_SCREEN_H
#define __TOP_SCREEN_H

#include <stdbool.h>
#include "top_view.h"

/* whether $TERM has a terminfo entry: asked before anything is attached */
bool top_screen__usable(void);

/* take the terminal; false if it cannot be used (no terminfo for $TERM) */
bool top_screen__open(void);

/* draw the view; note, if not NULL, on the line above the key help */
void top_screen__draw(const struct top_view *v, const char *note);

/* the next key pressed, or -1 if none is waiting; TOP_KEY_RESIZE after a resize */
int top_screen__key(void);
#define TOP_KEY_RESIZE 0x1000

/* give the terminal back: safe to call twice, and when it was never taken */
void top_screen__close(void);

#endif /* __TOP_SCREEN_H */
