// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "clock.h"
#include "tmux.h"

/* run tmux -S sock ARGS..., stdout into out (if given); its exit status, or -errno */
static int tmux__run(struct tmux *t, char *out, size_t len, const char *const *args)
{
	const char *argv[16] = { "tmux", "-S", t->sock, "-f", "/dev/null" };
	int argc = 5, pipefd[2], status;
	char sink[256];
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	for (int i = 0; args[i] && argc < 15; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (pipe(pipefd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp("tmux", (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* read to the end even when nothing is kept: tmux must not block on a full pipe */
	while ((n = read(pipefd[0], out ? out + got : sink, out ? len - 1 - got : sizeof(sink))) > 0)
		got += out ? n : 0;
	close(pipefd[0]);
	if (out)
		out[got] = '\0';
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

int tmux__start(struct tmux *t, int cols, int rows)
{
	char x[16], y[16];
	int err;

	snprintf(t->sock, sizeof(t->sock), "/tmp/tcpclose-test-tmux.%d", getpid());
	snprintf(x, sizeof(x), "%d", cols);
	snprintf(y, sizeof(y), "%d", rows);
	/* the shell's TERM is tmux's own ("screen"), as a terminal over ssh gives one */
	err = tmux__run(t, NULL, 0, (const char *[]){ "new-session", "-d", "-s", "t", "-x", x,
						       "-y", y, "sh", NULL });
	t->started = !err;
	return err ? -EIO : 0;
}

int tmux__keys(struct tmux *t, const char *keys)
{
	return tmux__run(t, NULL, 0, (const char *[]){ "send-keys", "-t", "t", keys, NULL });
}

int tmux__type(struct tmux *t, const char *text)
{
	return tmux__run(t, NULL, 0, (const char *[]){ "send-keys", "-t", "t", "-l", text, NULL });
}

char *tmux__capture(struct tmux *t)
{
	size_t len = 64 * 1024;
	char *buf = malloc(len);

	if (buf && tmux__run(t, buf, len, (const char *[]){ "capture-pane", "-p", "-t", "t", NULL })) {
		free(buf);
		return NULL;
	}
	return buf;
}

int tmux__display(struct tmux *t, const char *format, char *buf, size_t len)
{
	int err = tmux__run(t, buf, len, (const char *[]){ "display-message", "-p", "-t", "t",
							   format, NULL });

	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

int tmux__resize(struct tmux *t, int cols, int rows)
{
	char x[16], y[16];

	snprintf(x, sizeof(x), "%d", cols);
	snprintf(y, sizeof(y), "%d", rows);
	return tmux__run(t, NULL, 0, (const char *[]){ "resize-window", "-t", "t", "-x", x, "-y", y,
						       NULL });
}

char *tmux__wait_for(struct tmux *t, const char *text, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	char *screen;

	do {
		screen = tmux__capture(t);
		if (screen && strstr(screen, text))
			return screen;
		free(screen);
		clock__sleep_ms(50);
	} while (clock__now_ms() < deadline);
	return NULL;
}

bool tmux__wait_display(struct tmux *t, const char *format, const char *want, int timeout_ms)
{
	double deadline = clock__now_ms() + timeout_ms;
	char got[128];

	do {
		if (!tmux__display(t, format, got, sizeof(got)) && !strcmp(got, want))
			return true;
		clock__sleep_ms(50);
	} while (clock__now_ms() < deadline);
	return false;
}

void tmux__stop(struct tmux *t)
{
	if (!t->started)
		return;
	tmux__run(t, NULL, 0, (const char *[]){ "kill-server", NULL });
	unlink(t->sock);
	t->started = false;
}
