// SPDX-License-Identifier: GPL-2.0
/*
 * close_softirq: a child socket the kernel makes and ends in softirq, never accepted and never
 * in any process's hands. Data completes the handshake (TCP_DEFER_ACCEPT held the request sock
 * until then); tcp_v4_syn_recv_sock() makes the child, finds no route back to the peer (an ip
 * rule refuses the server-to-client flow only) and ends it at once: put_and_exit,
 * inet_csk_prepare_forced_close() and tcp_done(), SYN_RECV -> CLOSE with no socket, in whatever
 * task the softirq interrupted (on loopback usually the sender; or ksoftirqd). It was never
 * a connection: no reset goes out, and tcpclose reports nothing of it (it once reported
 * "aborted rst_sent (listener_closed)" naming the sender). The loser of two CPUs completing
 * one request (inet_ehash_nolisten()) ends the same way, beside the twin that carries the
 * connection on; a child inet_csk_complete_hashdance() forgets while the listener closes on
 * another CPU is reset next, and its record names no process. No test makes those races at
 * will.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "conns.h"
#include "fixture.h"
#include "test.h"

#define SENDER_COMM "softirq-sender"
#define DEFER_ACCEPT_S 30	/* the bare ACK makes no child for this long */
#define RULE_PREF 10		/* before the local table's rule, moved to LOCAL_PREF */
#define LOCAL_PREF 100
#define RECORD_MS 5000

struct softirq_test {
	struct fixture f;
	int lfd;
	int cfd;
	unsigned short lport;
	unsigned short cport;
};

/* the client connects; the listener keeps only a request sock, its ACK taken but deferred */
static bool softirq__connect(struct softirq_test *t)
{
	int defer = DEFER_ACCEPT_S, port;
	struct sockaddr_storage ss;
	socklen_t len;

	t->lfd = sock__listen(4, &t->lport);
	if (!ASSERT_GE(t->lfd, 0, "listen") ||
	    !ASSERT_OK(setsockopt(t->lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer)),
		       "TCP_DEFER_ACCEPT"))
		return false;
	len = sock__addr(4, t->lport, &ss);
	t->cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_GE(t->cfd, 0, "client socket") ||
	    !ASSERT_OK(connect(t->cfd, (struct sockaddr *)&ss, len), "connect"))
		return false;
	port = sock__port(t->cfd);
	if (!ASSERT_GT(port, 0, "client port"))
		return false;
	t->cport = port;
	return true;
}

/* no route from the listener's port to the client's: the child cannot be made */
static bool softirq__refuse_route(struct softirq_test *t)
{
	return ASSERT_OK(test__system("ip rule add pref %d lookup local && ip rule del pref 0 lookup local && "
				      "ip rule add pref %d ipproto tcp sport %u dport %u unreachable",
				      LOCAL_PREF, RULE_PREF, t->lport, t->cport),
			 "ip rule refusing the server-to-client flow");
}

/* a process of its own sends the data: on loopback the softirq usually runs in its context */
static bool softirq__send(struct softirq_test *t)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, SENDER_COMM);
		_exit(write(t->cfd, "x", 1) == 1 ? 0 : 1);
	}
	if (!ASSERT_GT(pid, 0, "fork the sender"))
		return false;
	test__log("sender pid %d, test pid %d", pid, getpid());
	return ASSERT_EQ(waitpid(pid, &status, 0), pid, "wait for the sender") &&
	       ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "sender wrote its byte");
}

/* the server end was never a connection: no record of it */
static void softirq__check(struct softirq_test *t)
{
	int i, n = 0;

	for (i = 0; i < t->f.tracer.nrecs; i++) {
		json_object *rec = t->f.tracer.recs[i];

		if (!conns__is(rec, "close", t->lport, t->cport))
			continue;
		n++;
		fixture__dump(rec, "server record");
	}
	ASSERT_EQ(n, 0, "records of the child that never was a connection");
}

static void close_softirq__run(const char *backend)
{
	struct softirq_test t = { .lfd = -1, .cfd = -1 };

	if (!fixture__start_backend(&t.f, backend) ||
	    !ASSERT_OK(netns__enter(&t.f.ns), "enter scenario namespace") ||
	    !ASSERT_OK(nstat__read(&t.f.before), "nstat before") ||
	    !softirq__connect(&t) || !softirq__refuse_route(&t) || !softirq__send(&t))
		goto out;
	/* the kernel's own account: a route refused, the listener dropped the completion */
	ASSERT_GE(nstat__wait("TcpExtListenDrops", nstat__get(&t.f.before, "TcpExtListenDrops") + 1,
			      RECORD_MS), 0, "the child made and dropped");
	if (ASSERT_OK(nstat__read(&t.f.after), "nstat after") &&
	    ASSERT_OK(nstat__delta(&t.f.before, &t.f.after, &t.f.delta), "nstat delta")) {
		ASSERT_GE(nstat__get(&t.f.delta, "IpOutNoRoutes"), 1, "IpOutNoRoutes");
		ASSERT_GE(nstat__get(&t.f.delta, "TcpExtListenDrops"), 1, "TcpExtListenDrops");
	}
	/* the client's reset ends the request sock: no more resends, no more children */
	sock__linger0(t.cfd);
	close(t.cfd);
	t.cfd = -1;
	close(t.lfd);
	t.lfd = -1;
	if (!ASSERT_OK(netns__leave(&t.f.ns), "leave scenario namespace"))
		goto out;
	if (fixture__finish(&t.f))
		softirq__check(&t);
out:
	if (t.cfd >= 0)
		close(t.cfd);
	if (t.lfd >= 0)
		close(t.lfd);
	fixture__cleanup(&t.f);
}

/* the record path that named the softirq's task was the kprobe backend's: try them all */
void test_close_softirq_child_no_record(void)
{
	fixture__each_backend(close_softirq__run);
}
