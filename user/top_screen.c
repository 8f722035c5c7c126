// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <curses.h>
#include <term.h>
#include "top_screen.h"

static bool open_;

bool top_screen__usable(void)
{
	int err;

	/* terminfo for $TERM, read without touching the terminal; freed again */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	del_curterm(cur_term);
	return true;
}

bool top_screen__open(void)
{
	/* newterm() rather than initscr(): an unknown $TERM is an error to report, not an exit */
	if (!newterm(NULL, stdout, stdin))
		return false;
	open_ = true;
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	return true;
}

void top_screen__close(void)
{
	if (!open_)
		return;
	open_ = false;
	endwin();
}

int top_screen__key(void)
{
	int c = getch();

	if (c == KEY_RESIZE)
		return TOP_KEY_RESIZE;
	return c == ERR ? -1 : c;
}

static const char help[] =
	"q quit  sort: c closes a active p passive b aborted t TW w CW f FW2 m p50 n p99 x FINRT r RST o total u ports  < > move";

void top_screen__draw(const struct top_view *v, const char *note)
{
	int y = 0, last = LINES - 1, room, shown;
	bool other = v->table->folded;
	char line[512];

	erase();
	top_view__summary(v, line, sizeof(line));
	mvaddnstr(y++, 0, line, COLS);
	y++;
	top_view__heading(v, line, sizeof(line));
	attron(A_REVERSE);
	mvaddnstr(y, 0, line, COLS);
	/* the whole line in reverse, as top draws its heading */
	for (int x = getcurx(stdscr); x < COLS && getcury(stdscr) == y; x++)
		addch(' ');
	attroff(A_REVERSE);
	y++;
	/* the rows, down to "other", the note and the help; a line says what did not fit */
	room = last - y - (note ? 1 : 0) - (other ? 1 : 0);
	if (v->nrows > room)
		room--;
	shown = v->nrows < room ? v->nrows : (room > 0 ? room : 0);
	for (int i = 0; i < shown; i++) {
		top_view__row(v, v->rows[i], false, line, sizeof(line));
		mvaddnstr(y++, 0, line, COLS);
	}
	if (other && y < last) {
		top_view__row(v, &v->table->other, true, line, sizeof(line));
		mvaddnstr(y++, 0, line, COLS);
	}
	if (shown < v->nrows && y < last) {
		snprintf(line, sizeof(line), "(%d more rows: a taller terminal shows them)",
			 v->nrows - shown);
		mvaddnstr(y++, 0, line, COLS);
	}
	if (note && last - 1 > 0)
		mvaddnstr(last - 1, 0, note, COLS);
	mvaddnstr(last, 0, help, COLS);
	refresh();
}
