/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpseg: one TCP segment as bytes, IP header included, IPv4 or IPv6: built with correct
 * checksums for a tun device or a raw socket, and read back with what a scripted peer needs
 * (window, timestamps) beside what capture.h keeps.
 */
#ifndef TCPCLOSE_TCPSEG_H
#define TCPCLOSE_TCPSEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture.h"

/* room for the largest segment the peer builds: headers, options and a little data */
#define TCPSEG_MAX 1600

struct tcpseg {
	int family;		/* 4 or 6 */
	uint8_t saddr[16];	/* 4 or 16 bytes used */
	uint8_t daddr[16];
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;
	uint8_t flags;		/* TCP_FIN, TCP_SYN, ... of capture.h */
	uint16_t win;
	uint16_t mss;		/* an MSS option, or 0 for none */
	bool ts;		/* a timestamps option with tsval and tsecr */
	uint32_t tsval, tsecr;
	const void *data;	/* payload to build; parsing leaves it NULL */
	uint32_t len;		/* payload bytes */
};

/* the segment as an IP packet in buf: its length, or -EMSGSIZE */
int tcpseg__build(const struct tcpseg *s, uint8_t *buf, size_t size);

/* a packet (from a packet socket or tun) back into s; -EINVAL if it is not TCP */
int tcpseg__parse(const void *pkt, size_t len, uint16_t ethertype, struct tcpseg *s);

/* the ones' complement sum of RFC 1071, folded and complemented, over the pseudo-header */
uint16_t tcpseg__csum(int family, const void *saddr, const void *daddr, const void *tcp,
		      size_t len);

/* the sequence number after the space s occupies: payload, SYN and FIN */
static inline uint32_t tcpseg__end(const struct tcpseg *s)
{
	return s->seq + s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
}

#endif
