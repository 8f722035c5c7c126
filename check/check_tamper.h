/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_tamper: --tamper, a wrong tracer on purpose. Each record is altered as it reaches
 * tcpclose check, before it is compared: a run that still passes proves the check blind to
 * that error. "FIN_WAIT2+20" says FIN_WAIT2 lasted 20 ms longer (the state after it as much
 * shorter, or the end as much later); "fin_retrans+1" one FIN resend more;
 * "tw_restart_last+20" the last restart of TIME_WAIT's timer 20 ms later, in a record that has one.
 */
#ifndef __CHECK_TAMPER_H
#define __CHECK_TAMPER_H

#include <stdbool.h>
#include <linux/types.h>
#include "tcpclose.h"

#define CHECK_TAMPER_FIN_RETRANS (-1)
#define CHECK_TAMPER_RESTART (-2)	/* tw_restart_last */

struct check_tamper {
	bool set;
	int state;		/* enum tcpc_state, or CHECK_TAMPER_FIN_RETRANS, CHECK_TAMPER_RESTART */
	double delta;		/* ms, or resends */
};

/* parse "STATE+MS", "STATE-MS", "fin_retrans+N", "fin_retrans-N" or "tw_restart_last+MS"
 * (or -MS); -EINVAL if none */
int check_tamper__parse(struct check_tamper *t, const char *spec);

/* alter rec as t says; a record that did not visit the state is left as it is */
void check_tamper__apply(const struct check_tamper *t, struct tcpc_conn *rec);

#endif /* __CHECK_TAMPER_H */
