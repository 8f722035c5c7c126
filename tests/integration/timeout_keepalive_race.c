// SPDX-License-Identifier: GPL-2.0
/*
 * Keepalive probes answered on another CPU while the prober's timer is still running.
 *
 * tcp_keepalive_timer() sends a probe and does icsk_probes_out++ under bh_lock_sock; the
 * timer's exit hooks (timer_expire_exit, fexit, kretprobe) run after bh_unlock_sock. An ACK
 * of the probe processed on another CPU in between resets icsk_probes_out to 0, and a tracer
 * comparing the count at entry and exit loses that probe. Over loopback the answer cannot
 * come in time (the probe waits in the prober CPU's backlog until its timer softirq is
 * done), so the test makes the race happen every time:
 * - a peer on CPU 1 reads each probe from a packet socket on lo, which sees it as it leaves,
 *   inside the timer, and injects the answer there: it is processed on CPU 1 at once,
 *   waiting for the socket lock if the timer still holds it;
 * - the keepalive timers run on CPU 0, kept busy so that they are not run elsewhere;
 * - a program on timer_expire_exit, attached before the tracer's, holds the timer's CPU a
 *   while after the handler returned, as an interrupt or a stalled vCPU would.
 * Every probe sent must then be in the records: the tracer's keepalive_probes summed
 * against the namespace's TcpExtTCPKeepAlive delta.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "conns.h"
#include "fixture.h"
#include "probe.h"
#include "test.h"

#define RACE_CONNS 16
#define RACE_RUN_MS 5500
#define RACE_DELAY_LOOPS 4000	/* bpf_ktime_get_ns() calls: some 100 us here */

/* struct timer_list: entry (hlist_node), expires, then function, in 6.1 to 6.18 */
#define TIMER_FUNCTION_OFF 24

/*
 * raw_tp/timer_expire_exit: busy the CPU a while after tcp_keepalive_timer() returned.
 * Written out rather than built: it is the test's, not the tracer's.
 */
static int delay__attach(unsigned long fn)
{
	struct bpf_insn insns[] = {
		/* r3 = &((struct timer_list *)ctx[0])->function */
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_3, .src_reg = BPF_REG_1 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_3,
		  .imm = TIMER_FUNCTION_OFF },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_1, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 8 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_read_kernel },
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_10,
		  .off = -8 },
		{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = BPF_REG_2, .imm = (__u32)fn },
		{ .imm = (__u32)(fn >> 32) },
		/* not tcp_keepalive_timer: done */
		{ .code = BPF_JMP | BPF_JNE | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_2,
		  .off = 4 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_6, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ktime_get_ns },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_6, .imm = 1 },
		{ .code = BPF_JMP | BPF_JLT | BPF_K, .dst_reg = BPF_REG_6, .imm = RACE_DELAY_LOOPS,
		  .off = -3 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "ka_delay", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
	if (prog < 0)
		return prog;
	link = bpf_raw_tracepoint_open("timer_expire_exit", prog);
	close(prog);
	return link;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

struct peer {
	int fd;			/* packet socket on lo */
	int ifindex;
	unsigned short sport;	/* the listener's port: probes go there */
	atomic_bool stop;
	int answers;
};

static __u16 csum_add(__u32 sum, const void *p, size_t len)
{
	const __u8 *b = p;

	for (; len > 1; b += 2, len -= 2)
		sum += b[0] << 8 | b[1];
	if (len)
		sum += b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* answer a keepalive probe (a bare ACK one byte behind) as the peer's stack would */
static void peer__answer(struct peer *p, const struct iphdr *ip, const struct tcphdr *th)
{
	struct {
		struct iphdr ip;
		struct tcphdr th;
	} a = {};
	struct {
		__u32 saddr, daddr;
		__u8 zero, proto;
		__u16 len;
	} pseudo;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = p->ifindex, .sll_halen = ETH_ALEN,
	};
	__u32 sum;

	a.ip.version = 4;
	a.ip.ihl = 5;
	a.ip.tot_len = htons(sizeof(a));
	a.ip.ttl = 64;
	a.ip.protocol = IPPROTO_TCP;
	a.ip.saddr = ip->daddr;
	a.ip.daddr = ip->saddr;
	a.ip.check = htons(~csum_add(0, &a.ip, sizeof(a.ip)) & 0xffff);
	a.th.source = th->dest;
	a.th.dest = th->source;
	a.th.seq = th->ack_seq;
	a.th.ack_seq = htonl(ntohl(th->seq) + 1);
	a.th.doff = 5;
	a.th.ack = 1;
	a.th.window = htons(65535);
	pseudo = (typeof(pseudo)){ ip->daddr, ip->saddr, 0, IPPROTO_TCP, htons(sizeof(a.th)) };
	sum = csum_add(0, &pseudo, sizeof(pseudo));
	a.th.check = htons(~csum_add(sum, &a.th, sizeof(a.th)) & 0xffff);
	if (sendto(p->fd, &a, sizeof(a), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(a))
		p->answers++;
}

/* on CPU 1, polling: each probe is answered while its timer still runs on CPU 0 */
static void *peer__run(void *arg)
{
	struct peer *p = arg;
	struct sockaddr_ll from;
	socklen_t fromlen;
	__u8 buf[256];
	const struct iphdr *ip = (const void *)buf;
	const struct tcphdr *th;
	ssize_t n;

	if (pin_cpu(1))
		return NULL;
	while (!atomic_load(&p->stop)) {
		fromlen = sizeof(from);
		n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &fromlen);
		if (n < (ssize_t)(sizeof(*ip) + sizeof(*th)) || from.sll_pkttype != PACKET_OUTGOING ||
		    from.sll_protocol != htons(ETH_P_IP) ||
		    ip->protocol != IPPROTO_TCP || ip->ihl * 4 + sizeof(*th) > (size_t)n)
			continue;
		th = (const void *)(buf + ip->ihl * 4);
		/* the clients' bare ACKs: once the connections are up, only probes */
		if (ntohs(th->dest) != p->sport || th->syn || th->fin || th->rst || th->psh ||
		    !th->ack || ntohs(ip->tot_len) != ip->ihl * 4 + th->doff * 4)
			continue;
		peer__answer(p, ip, th);
	}
	return NULL;
}

/* keep CPU 0 busy, so that its timers run there and not on the peer's CPU */
static pid_t spinner__start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pin_cpu(0);
		for (;;)
			;
	}
	return pid;
}

/* serial: it keeps both CPUs busy for seconds, which other tests need not share */
void serial_test_timeout_keepalive_race(void)
{
	struct conn c[RACE_CONNS];
	struct peer peer = { .fd = -1 };
	/* ETH_P_ALL: only taps see a segment as it leaves (dev_queue_xmit_nit) */
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	long long sent, traced = 0;
	json_object *cli;
	struct fixture f;
	pthread_t thread;
	bool peer_up = false;
	unsigned long fn;
	int lfd = -1, delay = -1, i, n = 0;
	pid_t spinner = -1;
	cpu_set_t old;

	memset(&f, 0, sizeof(f));
	f.ns.home = -1;
	sched_getaffinity(0, sizeof(old), &old);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		test__skip("the race needs 2 CPUs online, this machine has %ld",
			   sysconf(_SC_NPROCESSORS_ONLN));
		return;
	}
	fn = probe__ksym("tcp_keepalive_timer");
	if (!ASSERT_NEQ(fn, 0, "tcp_keepalive_timer in /proc/kallsyms"))
		return;
	/* before the tracer's: tracepoint programs run in the order they were attached */
	delay = delay__attach(fn);
	if (!ASSERT_GE(delay, 0, "delay program on timer_expire_exit"))
		return;
	if (!fixture__start(&f, NULL) ||
	    !ASSERT_OK(netns__enter(&f.ns), "enter scenario namespace") ||
	    !ASSERT_OK(pin_cpu(0), "run on CPU 0") ||
	    !ASSERT_OK(nstat__read(&f.before), "nstat before"))
		goto out;
	/* first: an idle CPU 0 would leave its timers to CPU 1, and they would stay there */
	spinner = spinner__start();
	if (!ASSERT_GT(spinner, 0, "spinner on CPU 0"))
		goto out;
	lfd = sock__listen(4, &peer.sport);
	if (!ASSERT_GE(lfd, 0, "listen"))
		goto out;
	for (n = 0; n < RACE_CONNS; n++) {
		c[n] = (struct conn){ .cfd = -1, .sfd = -1 };
		if (!ASSERT_OK(conns__open(&c[n], lfd, 4, peer.sport), "connect and accept") ||
		    !ASSERT_OK(sock__keepalive(c[n].cfd, 1, 1, 9), "keepalive")) {
			n++;
			goto out;
		}
	}
	peer.ifindex = if_nametoindex("lo");
	peer.fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	ll.sll_ifindex = peer.ifindex;
	if (!ASSERT_GE(peer.fd, 0, "packet socket") ||
	    !ASSERT_OK(bind(peer.fd, (struct sockaddr *)&ll, sizeof(ll)), "bind to lo") ||
	    !ASSERT_OK(pthread_create(&thread, NULL, peer__run, &peer), "peer thread"))
		goto out;
	peer_up = true;
	conns__sleep_ms(RACE_RUN_MS);

out:
	if (peer_up) {
		atomic_store(&peer.stop, true);
		pthread_join(thread, NULL);
	}
	if (spinner > 0) {
		kill(spinner, SIGKILL);
		waitpid(spinner, NULL, 0);
	}
	sched_setaffinity(0, sizeof(old), &old);
	/* resets: each client record is out at once */
	for (i = 0; i < n; i++)
		conns__abort(&c[i]);
	if (lfd >= 0)
		close(lfd);
	if (peer.fd >= 0)
		close(peer.fd);
	if (!test__failed() && ASSERT_OK(nstat__read(&f.after), "nstat after") &&
	    ASSERT_OK(nstat__delta(&f.before, &f.after, &f.delta), "nstat delta")) {
		ASSERT_OK(netns__leave(&f.ns), "leave scenario namespace");
		sent = nstat__get(&f.delta, "TcpExtTCPKeepAlive");
		/* how hard the race was pressed, not judged: a loaded host answers fewer in time */
		test__log("%d connections: %lld probes sent, %d answered from CPU 1", n, sent,
			  peer.answers);
		f.res.family = 4;
		f.res.client.port = c[n - 1].cport;
		f.res.server.port = c[n - 1].sport;
		if (fixture__finish(&f)) {
			for (i = 0; i < n; i++) {
				cli = tracer__close(&f.tracer, c[i].cport, c[i].sport);
				if (ASSERT_NOT_NULL(cli, "client close record"))
					traced += json__int(cli, "keepalive_probes", 0);
			}
			ASSERT_EQ(traced, sent, "keepalive_probes of the records (TcpExtTCPKeepAlive)");
		}
	}
	fixture__cleanup(&f);
	if (delay >= 0)
		close(delay);
}
