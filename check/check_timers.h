/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_timers: the kernel's TCP timers as the wire shows them, judged by what does not
 * depend on the host's speed: a timer never fires early. A resend of one segment comes no
 * sooner after its first transmission than TCP_RTO_MIN backing off allows; a keepalive probe
 * no sooner than tcp_keepalive_time after the peer was last heard, nor than
 * tcp_keepalive_intvl after the probe before it; the reset that gives up no sooner than an
 * interval after the last probe. How late each one came is the host's, and not judged.
 */
#ifndef __CHECK_TIMERS_H
#define __CHECK_TIMERS_H

#include <stdbool.h>
#include "check_wire.h"

struct check_timers {
	bool rto;			/* judge every resend in the capture */
	unsigned short ka_port;		/* keepalive: the probing end's port, 0 for none */
	double ka_idle_ms, ka_intvl_ms;
};

/*
 * Judge the capture in f by t; each difference is passed to diff as a line
 * "resends: ..." or "keepalive: ...". Returns how many there were.
 */
int check_timers__judge(const struct wire_facts *f, const struct check_timers *t,
			void (*diff)(void *ctx, const char *line), void *ctx);

/* keepalive probes that port sent, as the capture shows them */
int check_timers__keepalive_probes(const struct wire_facts *f, unsigned short port);

#endif /* __CHECK_TIMERS_H */
