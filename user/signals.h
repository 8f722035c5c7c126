/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The signals that end a run, as every command that traces handles them. */
#ifndef __SIGNALS_H
#define __SIGNALS_H

/*
 * on_end for SIGINT, SIGTERM and SIGHUP (the terminal gone ends a run as SIGTERM does),
 * without SA_RESTART: a blocked poll or write returns EINTR and the run ends cleanly.
 * SIGPIPE is ignored: a closed pipe (| head) shows as a write error. So is SIGUSR1, which
 * asks the tracer for its counts so far (main.c installs that after this).
 */
void signals__on_end(void (*on_end)(int sig));

#endif /* __SIGNALS_H */
