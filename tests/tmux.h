/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tmux: a real terminal for tests of what draws on one. A private tmux server (its own
 * socket, no configuration) runs a shell in a pane of a given size; the test types into it,
 * reads the screen back (capture-pane) and asks tmux what the terminal's state is.
 */
#ifndef TCPCLOSE_TMUX_H
#define TCPCLOSE_TMUX_H

#include <stdbool.h>
#include <stddef.h>

struct tmux {
	char sock[128];		/* the server's socket */
	bool started;
};

/* a server with one session of a shell (sh) in a pane of cols x rows */
int tmux__start(struct tmux *t, int cols, int rows);
/* keys as tmux send-keys takes them ("q", "Enter"); literal text with tmux__type */
int tmux__keys(struct tmux *t, const char *keys);
int tmux__type(struct tmux *t, const char *text);
/* the screen as text, one line per row, trailing blanks dropped; free() it */
char *tmux__capture(struct tmux *t);
/* a format of tmux display-message (#{alternate_on}, #{pane_current_command}) */
int tmux__display(struct tmux *t, const char *format, char *buf, size_t len);
int tmux__resize(struct tmux *t, int cols, int rows);
/* wait until the screen contains text; its capture (free() it), or NULL after timeout_ms */
char *tmux__wait_for(struct tmux *t, const char *text, int timeout_ms);
/* wait until display's format reads want; false after timeout_ms */
bool tmux__wait_display(struct tmux *t, const char *format, const char *want, int timeout_ms);
void tmux__stop(struct tmux *t);

#endif
