// SPDX-License-Identifier: GPL-2.0
/*
 * peer: a scripted TCP peer behind a tun device (peer.h). It reads the kernel's segments
 * from a packet socket on the device rather than from the tun itself: the packet socket
 * stamps each one as it left, which is what a test compares times with. The tun is only
 * drained, so that its queue never fills.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "grow.h"
#include "peer.h"

/* every segment of a test, however many connections it runs at once */
#define PEER_RCVBUF (16 << 20)
/* UDP to the discard port at the peer: the probe that the stamps are on (peer__stamps()) */
#define PEER_PROBE_PORT 9
/* probes until the device stamps them: the netstamp work may wait seconds on a loaded host */
#define PEER_STAMP_TRIES 2000
#define PEER_HANDSHAKE_MS 5000
/* the wall clock moved against CLOCK_MONOTONIC by more than this: it was stepped */
#define PEER_STEP_NS 1000000

double peer__now(void)
{
	return clock__now_s();
}

static bool seq__after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* a UDP packet to the probe port, leaving: the stamp it got */
static void peer__note_probe(const uint8_t *p, size_t len, double ts, double *probe_ts)
{
	if (capture__is_probe(p, len, PEER_PROBE_PORT))
		*probe_ts = ts;
}

static int peer__add(struct peer *p, const struct peer_seg *s)
{
	if (grow__one(&p->segs, &p->cap, p->n, sizeof(*p->segs)))
		return -ENOMEM;
	p->segs[p->n++] = *s;
	return 0;
}

/* what the tun queued for the peer: read and dropped, the packet socket has it all */
static void peer__drain_tun(struct peer *p)
{
	uint8_t buf[TCPSEG_MAX];

	while (read(p->tun.fd, buf, sizeof(buf)) > 0)
		;
}

static int peer__read(struct peer *p, double *probe_ts)
{
	uint8_t buf[256];	/* headers are enough: lengths come from the IP header */
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct sockaddr_ll from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
	};
	long long off = clock__real_offset_ns();
	/* what the peer wrote was taken in by now: peer__send() then says when exactly */
	double reading = peer__now();
	struct peer_seg s;
	struct cmsghdr *cm;
	ssize_t n;
	int err;

	/* a stamp is on the wall clock: a step of it between stamp and reading would move it */
	if (p->real_offset_ns && llabs(off - p->real_offset_ns) > PEER_STEP_NS)
		p->clock_steps++;
	p->real_offset_ns = off;
	peer__drain_tun(p);
	for (;;) {
		msg.msg_namelen = sizeof(from);
		msg.msg_controllen = sizeof(ctl);
		n = recvmsg(p->pfd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (from.sll_pkttype != PACKET_OUTGOING && from.sll_pkttype != PACKET_HOST)
			continue;
		memset(&s, 0, sizeof(s));
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				s.ts = (ts.tv_sec * 1000000000LL + ts.tv_nsec - off) / 1e9;
			}
		}
		if (tcpseg__parse(buf, n, ntohs(from.sll_protocol), &s.seg)) {
			if (probe_ts && from.sll_pkttype == PACKET_OUTGOING)
				peer__note_probe(buf, n, s.ts, probe_ts);
			continue;
		}
		s.from_peer = from.sll_pkttype == PACKET_HOST;
		s.done = s.from_peer ? reading : s.ts;
		err = peer__add(p, &s);
		if (err)
			return err;
	}
}

int peer__poll(struct peer *p)
{
	return peer__read(p, NULL);
}

/*
 * The kernel stamps packets at the device only while its netstamp key is on, which a
 * workqueue turns on some time after the first socket asks for stamps; until then a packet
 * is stamped when it is read. So send probes out of the device until one comes back
 * stamped with the time it was sent (as capture__start() does on lo).
 */
static int peer__stamps(struct peer *p)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PEER_PROBE_PORT) };
	double reading, probe_ts;
	int fd, i, err = -ETIMEDOUT;

	tun__addr(4, 1, (uint8_t *)&to.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < PEER_STAMP_TRIES && err == -ETIMEDOUT; i++) {
		probe_ts = 0;
		if (sendto(fd, "", 1, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			err = -errno;
			break;
		}
		/*
		 * Read late on purpose: a stamp taken on reading would come after 'reading'; one
		 * the device took came before it, however slowly a loaded host sent it
		 */
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
		reading = peer__now();
		err = peer__read(p, &probe_ts);
		if (!err)
			err = probe_ts && probe_ts < reading ? 0 : -ETIMEDOUT;
	}
	close(fd);
	return err;
}

int peer__open(struct peer *p, const char *name, int family)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int one = 1, size = PEER_RCVBUF, err;

	memset(p, 0, sizeof(*p));
	p->pfd = -1;
	p->family = family;
	tun__addr(family, 0, p->local);
	tun__addr(family, 1, p->remote);
	err = tun__open(&p->tun, name);
	if (err)
		return err;
	/* protocol 0 receives nothing until bind(): no packet of another device slips in */
	p->pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = p->tun.ifindex;
	if (p->pfd < 0 ||
	    setsockopt(p->pfd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
	    setsockopt(p->pfd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(p->pfd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		peer__close(p);
		return err;
	}
	err = peer__stamps(p);
	if (err)
		peer__close(p);
	return err;
}

void peer__close(struct peer *p)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (p->pfd >= 0) {
		peer__poll(p);
		if (!getsockopt(p->pfd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
			p->drops += st.tp_drops;
		close(p->pfd);
	}
	p->pfd = -1;
	tun__close(&p->tun);
}

void peer__free(struct peer *p)
{
	peer__close(p);
	free(p->segs);
	p->segs = NULL;
	p->n = p->cap = 0;
}

socklen_t peer__sockaddr(const struct peer *p, int peer, uint16_t port,
			 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (p->family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		memcpy(&a->sin6_addr, peer ? p->remote : p->local, 16);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	memcpy(&a->sin_addr, peer ? p->remote : p->local, 4);
	return sizeof(*a);
}

void peer__conn(struct peer_conn *c, struct peer *p, uint16_t pport)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->pport = pport;
	c->snd_nxt = PEER_ISS;
	c->win = PEER_WIN;
}

static bool peer__ours(const struct peer_conn *c, const struct peer_seg *s, int from_peer)
{
	if (s->from_peer != from_peer)
		return false;
	if (from_peer)
		return s->seg.sport == c->pport && s->seg.dport == c->lport;
	return s->seg.sport == c->lport && s->seg.dport == c->pport;
}

int peer__send(struct peer_conn *c, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	       uint32_t len)
{
	struct peer *p = c->p;
	struct tcpseg s = {
		.family = p->family,
		.sport = c->pport,
		.dport = c->lport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.win = c->win,
		.mss = (flags & TCP_SYN) ? c->mss : 0,
		.data = data,
		.len = len,
	};
	uint8_t pkt[TCPSEG_MAX];
	double done;
	int n;

	memcpy(s.saddr, p->remote, sizeof(s.saddr));
	memcpy(s.daddr, p->local, sizeof(s.daddr));
	n = tcpseg__build(&s, pkt, sizeof(pkt));
	if (n < 0)
		return n;
	/* the kernel takes it in within this write: a reply is queued when it returns */
	if (write(p->tun.fd, pkt, n) != n)
		return -errno ?: -EIO;
	done = peer__now();
	n = peer__poll(p);
	if (n)
		return n;
	/* its stamp: the packet socket had it queued before the write returned */
	for (size_t i = p->n; i-- > 0;) {
		if (peer__ours(c, &p->segs[i], 1)) {
			p->segs[i].done = done;
			c->sent = p->segs[i];
			return 0;
		}
	}
	return -ENOMSG;
}

int peer__send_next(struct peer_conn *c, uint8_t flags, const void *data, uint32_t len)
{
	struct tcpseg s = { .seq = c->snd_nxt, .flags = flags, .len = len };
	int err;

	err = peer__send(c, flags, c->snd_nxt, (flags & TCP_ACK) ? c->rcv_nxt : 0, data, len);
	if (!err)
		c->snd_nxt = tcpseg__end(&s);
	return err;
}

/* wait for the packet socket until the deadline (CLOCK_MONOTONIC s): false at the deadline */
static bool peer__wait(struct peer *p, double deadline)
{
	double left = deadline - peer__now();
	struct pollfd pfd = { .fd = p->pfd, .events = POLLIN };

	if (left <= 0)
		return false;
	poll(&pfd, 1, (int)(left * 1e3) + 1);
	return true;
}

static int peer__scan(struct peer_conn *c, uint8_t flags, bool next_only, int timeout_ms,
		      struct peer_seg *got)
{
	double deadline = peer__now() + timeout_ms / 1e3;
	struct peer *p = c->p;
	int err;

	for (;;) {
		err = peer__poll(p);
		if (err)
			return err;
		while (c->next < p->n) {
			const struct peer_seg *s = &p->segs[c->next++];
			uint32_t end = tcpseg__end(&s->seg);

			if (!peer__ours(c, s, 0))
				continue;
			if (!seq__after(s->seg.seq, c->rcv_nxt) && seq__after(end, c->rcv_nxt))
				c->rcv_nxt = end;
			if ((s->seg.flags & flags) == flags) {
				*got = *s;
				return 0;
			}
			if (next_only) {
				*got = *s;
				return -EPROTO;
			}
		}
		if (!peer__wait(p, deadline))
			return -ETIMEDOUT;
	}
}

int peer__expect(struct peer_conn *c, uint8_t flags, int timeout_ms, struct peer_seg *got)
{
	return peer__scan(c, flags, false, timeout_ms, got);
}

int peer__expect_next(struct peer_conn *c, uint8_t flags, int timeout_ms, struct peer_seg *got)
{
	return peer__scan(c, flags, true, timeout_ms, got);
}

int peer__expect_ack(struct peer_conn *c, uint32_t ack, int timeout_ms, struct peer_seg *got)
{
	double deadline = peer__now() + timeout_ms / 1e3;
	int err;

	do {
		err = peer__expect(c, TCP_ACK, (int)((deadline - peer__now()) * 1e3) + 1, got);
	} while (!err && got->seg.ack != ack);
	return err;
}

bool peer__quiet(struct peer_conn *c, int ms)
{
	double deadline = peer__now() + ms / 1e3;
	struct peer *p = c->p;
	size_t i;

	while (peer__wait(p, deadline))
		peer__poll(p);
	peer__poll(p);
	for (i = c->next; i < p->n; i++) {
		if (peer__ours(c, &p->segs[i], 0))
			return false;
	}
	return true;
}

static int peer__wait_connected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, PEER_HANDSHAKE_MS) != 1)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

int peer__accept(struct peer_conn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = peer__sockaddr(c->p, 1, c->pport, &ss);
	int flags = fcntl(fd, F_GETFL), err;
	struct peer_seg syn, ack;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno != EINPROGRESS)
		return -errno ?: -EISCONN;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	c->lport = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
					      ((struct sockaddr_in *)&ss)->sin_port);
	err = peer__expect(c, TCP_SYN, PEER_HANDSHAKE_MS, &syn);
	if (err)
		return err;
	c->rcv_nxt = syn.seg.seq + 1;
	err = peer__send_next(c, TCP_SYN | TCP_ACK, NULL, 0) ?:
	      peer__expect(c, TCP_ACK, PEER_HANDSHAKE_MS, &ack) ?:
	      peer__wait_connected(fd);
	if (err)
		return err;
	return fcntl(fd, F_SETFL, flags) ? -errno : 0;
}

int peer__connect(struct peer_conn *c, uint16_t lport)
{
	struct peer_seg synack;
	int err;

	c->lport = lport;
	err = peer__send_next(c, TCP_SYN, NULL, 0) ?:
	      peer__expect(c, TCP_SYN | TCP_ACK, PEER_HANDSHAKE_MS, &synack);
	if (err)
		return err;
	if (synack.seg.ack != c->snd_nxt)
		return -EPROTO;
	c->rcv_nxt = synack.seg.seq + 1;
	return peer__send_next(c, TCP_ACK, NULL, 0);
}

const struct peer_seg *peer__find(const struct peer_conn *c, int from_peer, uint8_t flags,
				  int nth)
{
	for (size_t i = 0; i < c->p->n; i++) {
		const struct peer_seg *s = &c->p->segs[i];

		if (peer__ours(c, s, from_peer) && (s->seg.flags & flags) == flags && nth-- == 0)
			return s;
	}
	return NULL;
}

int peer__count(const struct peer_conn *c, int from_peer, uint8_t flags)
{
	int n = 0;

	for (size_t i = 0; i < c->p->n; i++)
		n += peer__ours(c, &c->p->segs[i], from_peer) &&
		     (c->p->segs[i].seg.flags & flags) == flags;
	return n;
}
