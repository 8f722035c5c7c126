// SPDX-License-Identifier: GPL-2.0
/*
 * scenario_drop: a FIN or the last ACK dropped once by nftables, so that it is resent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "nft.h"
#include "scenario_internal.h"
static int drop__server(struct run *r, struct child *me)
{
	int fd = server__accept(r);

	if (fd < 0 || server__pong(r, fd) || server__await_client(me) ||
	    server__wait_eof(r, fd) || step__send(me->up, 'F') || step__recv(me->down, 'G'))
		return -EIO;
	return close(fd);
}

/* drop once what match selects, after the child reaches step, then let it go on */
static int drop__once(struct run *r, struct child *c, char step, const char *fmt)
{
	char match[128];
	long drops;
	int err;

	if (run__step_wait(r, c, step))
		return -EIO;
	snprintf(match, sizeof(match), fmt, r->res->client.port);
	err = nft__drop(match);
	if (err)
		return run__fail(r, err, "nft: cannot add rule '%s'", match);
	if (run__step_tell(r, c, 'G'))
		return -EIO;
	drops = nft__wait_drops(1, STEP_TIMEOUT_MS);
	if (drops < 0)
		return run__fail(r, (int)drops, "nft: '%s' dropped nothing: %s", match,
				 strerror((int)-drops));
	drops = nft__stop();
	if (drops < 0)
		return run__fail(r, (int)drops, "nft: cannot remove the rule");
	r->res->drops = drops;
	return 0;
}

static int drop__run(struct run *r, bool lastack)
{
	struct capture cap;
	int err;

	r->res->fields |= SCENARIO_F_DROPS;
	err = run__capture(r, &cap);
	if (err)
		return err;
	err = run__start(r, client__close_when_told, drop__server);
	if (!err && lastack) {
		/* the client's FIN is not held back: release the client at once */
		err = run__step_wait(r, &r->client, 'E') ?: run__step_tell(r, &r->client, 'G') ?:
		      run__step_tell(r, &r->server, 'L');
		if (!err)
			err = drop__once(r, &r->server, 'F', "tcp sport %u tcp flags == ack");
	} else if (!err) {
		/* the resent FIN reaches the server once the rule is gone */
		err = drop__once(r, &r->client, 'E', "tcp sport %u tcp flags & fin == fin") ?:
		      run__step_tell(r, &r->server, 'L') ?: run__step_wait(r, &r->server, 'F') ?:
		      run__step_tell(r, &r->server, 'G');
	}
	if (!err)
		err = run__finish(r);
	return run__count_fins(r, &cap, err, lastack);
}

int scenario__fin_drop(struct run *r)
{
	return drop__run(r, false);
}

int scenario__lastack_drop(struct run *r)
{
	return drop__run(r, true);
}

/* churn: many connections as fast as they go; even ones the client closes first */

