// SPDX-License-Identifier: GPL-2.0
/*
 * capture: record every TCP segment sent on lo of the current network namespace with an
 * AF_PACKET socket. On lo each segment passes the tap twice, once sent and once received
 * (before IP, so a segment dropped on input is still seen both times): the sent copy makes
 * the record, the received copy adds its arrival time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "grow.h"

/* enough for every segment of a test; larger bursts are read by capture__poll() */
#define CAPTURE_RCVBUF (64 << 20)
/* UDP to the discard port: the probe capture__start() stamps, never TCP */
#define CAPTURE_PROBE_PORT 9

static double capture__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The kernel stamps a packet at the tap only while the netstamp static key is on, and it
 * turns the key on from a workqueue after the first socket asks for stamps (and off again
 * after the last one goes). Until then a packet is stamped when we read it, long after it
 * passed. So send probes until one comes back stamped with the time it was sent.
 */
static int capture__wait_stamps(struct capture *c)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(CAPTURE_PROBE_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	double sent;
	int fd, i, err = -ETIMEDOUT;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < 200 && err == -ETIMEDOUT; i++) {
		c->probe_ts = 0;
		sent = capture__now();
		if (sendto(fd, "", 1, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			err = -errno;
			break;
		}
		/* read late on purpose: a stamp taken on reading would show it */
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
		err = capture__poll(c);
		if (!err)
			err = c->probe_ts && c->probe_ts - sent < 0.002 ? 0 : -ETIMEDOUT;
	}
	close(fd);
	return err;
}

int capture__start(struct capture *c)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int one = 1, size = CAPTURE_RCVBUF;
	int err;

	memset(c, 0, sizeof(*c));
	/* protocol 0 receives nothing until bind(), so no segment of another device slips in */
	c->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	sll.sll_ifindex = if_nametoindex("lo");
	if (!sll.sll_ifindex ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
	    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(c->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(c->fd);
		return err;
	}
	c->running = true;
	err = capture__wait_stamps(c);
	if (err)
		capture__free(c);
	return err;
}

bool capture__is_probe(const uint8_t *p, size_t len, uint16_t port)
{
	size_t hl;

	if (len < 28 || p[0] >> 4 != 4 || p[9] != IPPROTO_UDP)
		return false;
	hl = (p[0] & 0xf) * 4;
	return len >= hl + 4 && (p[hl + 2] << 8 | p[hl + 3]) == port;
}

/* the stamp of our own probe, sent, as the packet socket returned it */
static void capture__note_probe(struct capture *c, const uint8_t *p, size_t len, double ts)
{
	if (capture__is_probe(p, len, CAPTURE_PROBE_PORT))
		c->probe_ts = ts;
}

static bool capture__same(const struct tcp_seg *a, const struct tcp_seg *b)
{
	return a->sport == b->sport && a->dport == b->dport && a->seq == b->seq &&
	       a->ack == b->ack && a->flags == b->flags && a->len == b->len &&
	       a->family == b->family && !memcmp(a->saddr, b->saddr, sizeof(a->saddr));
}

/*
 * Add a sent segment, or give a received one's time to the earliest sent segment it
 * copies that has none yet (a resent segment can be identical to the first).
 */
int capture__add(struct capture *c, const struct tcp_seg *s, bool outgoing)
{
	size_t i;

	if (!outgoing) {
		for (i = c->unmatched; i < c->n; i++) {
			if (!c->segs[i].rx_ts && capture__same(&c->segs[i], s)) {
				c->segs[i].rx_ts = s->ts;
				break;
			}
		}
		while (c->unmatched < c->n && c->segs[c->unmatched].rx_ts)
			c->unmatched++;
		return 0;
	}
	if (grow__one(&c->segs, &c->cap, c->n, sizeof(*c->segs)))
		return -ENOMEM;
	c->segs[c->n++] = *s;
	return 0;
}

/* read what the kernel has queued so far, without blocking */
int capture__poll(struct capture *c)
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
	struct cmsghdr *cm;
	struct tcp_seg s;
	double stamp;
	size_t len;
	ssize_t n;
	int err;

	for (;;) {
		msg.msg_namelen = sizeof(from);
		msg.msg_controllen = sizeof(ctl);
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (from.sll_pkttype != PACKET_OUTGOING && from.sll_pkttype != PACKET_HOST)
			continue;
		len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
		stamp = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				stamp = ts.tv_sec + ts.tv_nsec / 1e9;
			}
		}
		if (capture__parse(buf, len, ntohs(from.sll_protocol), &s)) {
			if (from.sll_pkttype == PACKET_OUTGOING &&
			    ntohs(from.sll_protocol) == ETH_P_IP)
				capture__note_probe(c, buf, len, stamp);
			continue;
		}
		s.ts = stamp;
		err = capture__add(c, &s, from.sll_pkttype == PACKET_OUTGOING);
		if (err)
			return err;
	}
}

int capture__stop(struct capture *c)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	int err;

	if (!c->running)
		return -EBADF;
	err = capture__poll(c);
	if (!getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		c->drops += st.tp_drops;
	close(c->fd);
	c->running = false;
	return err;
}

void capture__free(struct capture *c)
{
	if (c->running)
		close(c->fd);
	free(c->segs);
	memset(c, 0, sizeof(*c));
}

static int capture__parse_tcp(const uint8_t *p, size_t len, size_t tcp_len, struct tcp_seg *s)
{
	size_t doff;

	if (len < 20)
		return -EINVAL;
	doff = (p[12] >> 4) * 4;
	if (doff < 20 || doff > tcp_len)
		return -EINVAL;
	s->sport = p[0] << 8 | p[1];
	s->dport = p[2] << 8 | p[3];
	s->seq = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	s->ack = (uint32_t)p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
	s->flags = p[13];
	s->len = tcp_len - doff;
	return 0;
}

/* is this IPv6 next-header an extension header we can step over? */
static bool capture__ip6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

/*
 * Parse one network-layer packet (what a SOCK_DGRAM packet socket returns). len may be
 * shorter than the packet: segment lengths come from the IP header, so headers suffice.
 */
int capture__parse(const void *pkt, size_t len, uint16_t ethertype, struct tcp_seg *s)
{
	const uint8_t *p = pkt;
	size_t hl, total;
	uint8_t nh;

	memset(s, 0, sizeof(*s));
	if (ethertype == ETH_P_IP) {
		if (len < 20 || p[0] >> 4 != 4)
			return -EINVAL;
		hl = (p[0] & 0xf) * 4;
		total = p[2] << 8 | p[3];
		/* fragments other than the first carry no TCP header */
		if (p[9] != IPPROTO_TCP || hl < 20 || total < hl || len < hl ||
		    ((p[6] & 0x1f) | p[7]))
			return -EINVAL;
		s->family = 4;
		memcpy(s->saddr, p + 12, 4);
		memcpy(s->daddr, p + 16, 4);
		return capture__parse_tcp(p + hl, len - hl, total - hl, s);
	}
	if (ethertype == ETH_P_IPV6) {
		if (len < 40 || p[0] >> 4 != 6)
			return -EINVAL;
		total = 40 + (p[4] << 8 | p[5]);
		nh = p[6];
		hl = 40;
		while (capture__ip6_ext(nh)) {
			if (len < hl + 8)
				return -EINVAL;
			nh = p[hl];
			hl += (p[hl + 1] + 1) * 8;
		}
		if (nh != IPPROTO_TCP || total < hl || len < hl)
			return -EINVAL;
		s->family = 6;
		memcpy(s->saddr, p + 8, 16);
		memcpy(s->daddr, p + 24, 16);
		return capture__parse_tcp(p + hl, len - hl, total - hl, s);
	}
	return -EINVAL;
}

/* segments from sport with all of flags set */
int capture__count(const struct capture *c, uint16_t sport, uint8_t flags)
{
	const struct tcp_seg *s;
	int n = 0;

	capture__for_each(c, s)
		n += s->sport == sport && (s->flags & flags) == flags;
	return n;
}

/* the nth (from 0) segment from sport with all of flags set */
const struct tcp_seg *capture__find(const struct capture *c, uint16_t sport, uint8_t flags,
				    int nth)
{
	const struct tcp_seg *s;

	capture__for_each(c, s) {
		if (s->sport == sport && (s->flags & flags) == flags && nth-- == 0)
			return s;
	}
	return NULL;
}

/* the nth (from 0) segment from sport acknowledging exactly ack: e.g. FIN seq + 1 */
const struct tcp_seg *capture__find_ack(const struct capture *c, uint16_t sport, uint32_t ack,
					int nth)
{
	const struct tcp_seg *s;

	capture__for_each(c, s) {
		if (s->sport == sport && (s->flags & TCP_ACK) && s->ack == ack && nth-- == 0)
			return s;
	}
	return NULL;
}

/* payload bytes sent from sport later than after (seconds, as in tcp_seg.ts) */
long capture__payload(const struct capture *c, uint16_t sport, double after)
{
	const struct tcp_seg *s;
	long n = 0;

	capture__for_each(c, s) {
		if (s->sport == sport && s->ts > after)
			n += s->len;
	}
	return n;
}

int capture__fins(const struct capture *c, uint16_t sport)
{
	return capture__count(c, sport, TCP_FIN);
}

/* the sequence number after the space a segment occupies */
static uint32_t tcp_seg__end(const struct tcp_seg *s)
{
	return s->seq + s->len + !!(s->flags & (TCP_SYN | TCP_FIN));
}

static bool seq__after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* from the same end of the same ports as r */
static bool tcp_seg__same_flow(const struct tcp_seg *s, const struct tcp_seg *r)
{
	return s->sport == r->sport && s->dport == r->dport;
}

/* where r's connection begins: its end's SYN (for a SYN, one with the same seq), or the start */
static const struct tcp_seg *resend__conn_start(const struct capture *c, const struct tcp_seg *r)
{
	const struct tcp_seg *s;

	for (s = r; s-- > c->segs;) {
		if (!tcp_seg__same_flow(s, r) || !(s->flags & TCP_SYN))
			continue;
		if ((r->flags & TCP_SYN) && s->seq != r->seq)
			break;
		return s;
	}
	return (r->flags & TCP_SYN) ? r : c->segs;
}

int capture__resends(const struct capture *c)
{
	int n = 0;

	for (size_t k = 0; k < c->n; k++) {
		const struct tcp_seg *r = &c->segs[k], *s;
		const struct tcp_seg *from = resend__conn_start(c, r);
		bool sent = false;
		uint32_t top = 0;

		/* a bare ACK or RST occupies nothing; a scripted peer's resend is not the kernel's */
		if (tcp_seg__end(r) == r->seq || r->scripted)
			continue;
		for (s = from; s < r; s++) {
			if (tcp_seg__same_flow(s, r) && tcp_seg__end(s) != s->seq) {
				if (!sent || seq__after(tcp_seg__end(s), top))
					top = tcp_seg__end(s);
				sent = true;
			}
		}
		/* a new connection's SYN, or new sequence space: not a resend */
		if (from == r || !sent || seq__after(tcp_seg__end(r), top))
			continue;
		n++;
	}
	return n;
}

int capture__fin_resends(const struct capture *c, uint16_t sport, uint16_t dport, int nth)
{
	const struct tcp_seg *s;
	uint32_t syn_seq = 0, fin_seq = 0;
	bool syn = false, fin = false;
	int conn = -1, n = 0;

	capture__for_each(c, s) {
		if (s->sport != sport || s->dport != dport)
			continue;
		if (s->flags & TCP_SYN) {
			if (!syn || s->seq != syn_seq) {
				conn++;
				syn = true;
				syn_seq = s->seq;
				fin = false;
			}
			continue;
		}
		/* a capture that began after the handshake: its first connection */
		if (conn < 0)
			conn = 0;
		if (conn != nth || !(s->flags & TCP_FIN))
			continue;
		if (fin && tcp_seg__fin_seq(s) == fin_seq)
			n++;
		fin = true;
		fin_seq = tcp_seg__fin_seq(s);
	}
	return n;
}

const struct tcp_seg *capture__fin(const struct capture *c, uint16_t sport, int nth)
{
	return capture__find(c, sport, TCP_FIN, nth);
}
