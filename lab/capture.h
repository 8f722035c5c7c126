/* SPDX-License-Identifier: GPL-2.0 */
/* capture: every TCP segment sent on lo of the current network namespace */
#ifndef TCPCLOSE_CAPTURE_H
#define TCPCLOSE_CAPTURE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

struct tcp_seg {
	double ts;		/* sent: seconds, CLOCK_REALTIME, stamped at the tap on transmit */
	double rx_ts;		/* arrived: stamped as lo queued it for receive; or 0 */
	int family;		/* 4 or 6 */
	uint8_t saddr[16];	/* 4 or 16 bytes used */
	uint8_t daddr[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint32_t len;		/* payload bytes */
	/* written by a scripted peer (lab/peer.h), not sent by this namespace's kernel: no
	 * resend of it is the kernel's (TcpRetransSegs) or its timers' */
	bool scripted;
};

struct capture {
	int fd;
	bool running;		/* fd is open: a zeroed struct is a stopped capture */
	struct tcp_seg *segs;
	size_t n;
	size_t cap;
	size_t unmatched;	/* segments before this one all have their rx_ts */
	double probe_ts;	/* stamp of the last timestamp probe seen (capture__start()) */
	unsigned long drops;	/* segments the kernel could not queue to us */
};

#define capture__for_each(c, s) for ((s) = (c)->segs; (s) < (c)->segs + (c)->n; (s)++)

int capture__start(struct capture *c);
int capture__poll(struct capture *c);
int capture__stop(struct capture *c);
void capture__free(struct capture *c);

int capture__parse(const void *pkt, size_t len, uint16_t ethertype, struct tcp_seg *seg);
/* an IPv4 UDP packet to port: a probe whose stamp tells when stamping is on */
bool capture__is_probe(const uint8_t *p, size_t len, uint16_t port);
int capture__add(struct capture *c, const struct tcp_seg *seg, bool outgoing);

int capture__count(const struct capture *c, uint16_t sport, uint8_t flags);
const struct tcp_seg *capture__find(const struct capture *c, uint16_t sport, uint8_t flags,
				    int nth);
const struct tcp_seg *capture__find_ack(const struct capture *c, uint16_t sport, uint32_t ack,
					int nth);
long capture__payload(const struct capture *c, uint16_t sport, double after);
int capture__fins(const struct capture *c, uint16_t sport);

/* segments the kernel sent again: sequence space (data, SYN or FIN) their connection's end
 * had sent; a scripted peer's segments are not the kernel's */
int capture__resends(const struct capture *c);
/* FINs sport resent to dport in their nth (from 0) connection: each new SYN begins one */
int capture__fin_resends(const struct capture *c, uint16_t sport, uint16_t dport, int nth);
const struct tcp_seg *capture__fin(const struct capture *c, uint16_t sport, int nth);

/*
 * When a segment left and when lo queued it for the receiver, in seconds; NAN if the
 * segment is missing. A sender's state changes as it leaves; a receiver's when softirq
 * takes it off that queue, microseconds later, or milliseconds if ksoftirqd runs it on a
 * loaded CPU: with netdev_tstamp_prequeue=1 (the default) no stamp shows that wait.
 */
static inline double tcp_seg__tx(const struct tcp_seg *s)
{
	return s ? s->ts : NAN;
}

static inline double tcp_seg__rx(const struct tcp_seg *s)
{
	return s && s->rx_ts ? s->rx_ts : NAN;
}

/* the sequence number a FIN occupies: after the data it may carry */
static inline uint32_t tcp_seg__fin_seq(const struct tcp_seg *s)
{
	return s->seq + s->len;
}

#endif
