// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_tamper: --tamper alters records the way a wrong tracer would (check_tamper.h) */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check_tamper.h"
#include "record.h"

int check_tamper__parse(struct check_tamper *t, const char *spec)
{
	size_t len = strcspn(spec, "+-");
	char *end;

	memset(t, 0, sizeof(*t));
	if (!spec[len] || !len)
		return -EINVAL;
	t->delta = strtod(spec + len, &end);
	if (*end || end == spec + len + 1 || isnan(t->delta) || isinf(t->delta) || !t->delta)
		return -EINVAL;
	if (len == strlen("fin_retrans") && !strncmp(spec, "fin_retrans", len)) {
		if (t->delta != (int)t->delta)
			return -EINVAL;
		t->state = CHECK_TAMPER_FIN_RETRANS;
		t->set = true;
		return 0;
	}
	if (len == strlen("tw_restart_last") && !strncmp(spec, "tw_restart_last", len)) {
		t->state = CHECK_TAMPER_RESTART;
		t->set = true;
		return 0;
	}
	for (int s = 0; s < TCPC_NR_STATES; s++) {
		const char *name = record__state_name(s);

		if (strlen(name) == len && !strncmp(spec, name, len)) {
			t->state = s;
			t->set = true;
			return 0;
		}
	}
	return -EINVAL;
}

void check_tamper__apply(const struct check_tamper *t, struct tcpc_conn *rec)
{
	__s64 ns = (__s64)(t->delta * 1e6);
	int i;

	if (!t->set)
		return;
	if (t->state == CHECK_TAMPER_FIN_RETRANS) {
		rec->fin_retrans += (int)t->delta;
		return;
	}
	if (t->state == CHECK_TAMPER_RESTART) {
		if (rec->flags & TCPC_F_TW_RESTART)
			rec->tw_restart_last_ns += ns;
		return;
	}
	for (i = 0; i < TCPC_NR_STATES && rec->order[i] != t->state; i++)
		if (rec->order[i] >= TCPC_NR_STATES)
			return;
	if (i == TCPC_NR_STATES)
		return;
	rec->dwell_ns[t->state] += ns;
	/* the change out of it moves: the next state is shorter, or the end later */
	if (i + 1 < TCPC_NR_STATES && rec->order[i + 1] < TCPC_NR_STATES)
		rec->dwell_ns[rec->order[i + 1]] -= ns;
	else
		rec->end_ns += ns;
}
