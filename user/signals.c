// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <signal.h>
#include <stddef.h>
#include "signals.h"

void signals__on_end(void (*on_end)(int sig))
{
	struct sigaction sa = { .sa_handler = on_end };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the tracer's "counts so far" (main.c): a command that has none goes on */
	signal(SIGUSR1, SIG_IGN);
}
