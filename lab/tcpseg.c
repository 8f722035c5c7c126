// SPDX-License-Identifier: GPL-2.0
/*
 * tcpseg: TCP segments as IP packets, both ways. Only what a scripted peer sends: no IP
 * options, no IPv6 extension headers, TCP options MSS and timestamps at most.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>
#include "tcpseg.h"

#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_TS 8

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint32_t sum16(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

uint16_t tcpseg__csum(int family, const void *saddr, const void *daddr, const void *tcp,
		      size_t len)
{
	size_t alen = family == 6 ? 16 : 4;
	uint8_t tail[8] = { 0 };	/* length and protocol, as each family's pseudo-header has them */
	uint32_t sum;

	sum = sum16(sum16(0, saddr, alen), daddr, alen);
	if (family == 6) {
		put32(tail, len);
		tail[7] = IPPROTO_TCP;
		sum = sum16(sum, tail, 8);
	} else {
		tail[1] = IPPROTO_TCP;
		put16(tail + 2, len);
		sum = sum16(sum, tail, 4);
	}
	return fold(sum16(sum, tcp, len));
}

/* the options of s at p: their length, a multiple of 4 */
static size_t tcpseg__put_options(const struct tcpseg *s, uint8_t *p)
{
	size_t n = 0;

	if (s->mss) {
		p[n++] = OPT_MSS;
		p[n++] = 4;
		put16(p + n, s->mss);
		n += 2;
	}
	if (s->ts) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_TS;
		p[n++] = 10;
		put32(p + n, s->tsval);
		put32(p + n + 4, s->tsecr);
		n += 8;
	}
	return n;
}

int tcpseg__build(const struct tcpseg *s, uint8_t *buf, size_t size)
{
	size_t iph = s->family == 6 ? IP6_HLEN : IP4_HLEN, alen = s->family == 6 ? 16 : 4;
	uint8_t *tcp = buf + iph, opts[40];
	size_t olen = tcpseg__put_options(s, opts), tlen = TCP_HLEN + olen + s->len;

	if (iph + tlen > size || iph + tlen > 0xffff)
		return -EMSGSIZE;
	memset(buf, 0, iph + TCP_HLEN);
	if (s->family == 6) {
		buf[0] = 0x60;
		put16(buf + 4, tlen);
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;
		memcpy(buf + 8, s->saddr, alen);
		memcpy(buf + 24, s->daddr, alen);
	} else {
		buf[0] = 0x45;
		put16(buf + 2, iph + tlen);
		buf[6] = 0x40;	/* don't fragment */
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, s->saddr, alen);
		memcpy(buf + 16, s->daddr, alen);
		put16(buf + 10, fold(sum16(0, buf, IP4_HLEN)));
	}
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (TCP_HLEN + olen) / 4 << 4;
	tcp[13] = s->flags;
	put16(tcp + 14, s->win);
	memcpy(tcp + TCP_HLEN, opts, olen);
	if (s->len)
		memcpy(tcp + TCP_HLEN + olen, s->data, s->len);
	put16(tcp + 16, tcpseg__csum(s->family, s->saddr, s->daddr, tcp, tlen));
	return iph + tlen;
}

/* the options a peer reads: MSS and timestamps */
static void tcpseg__get_options(const uint8_t *p, size_t len, struct tcpseg *s)
{
	size_t i = 0;

	while (i < len && p[i] != OPT_EOL) {
		if (p[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
			return;
		if (p[i] == OPT_MSS && p[i + 1] == 4)
			s->mss = get16(p + i + 2);
		if (p[i] == OPT_TS && p[i + 1] == 10) {
			s->ts = true;
			s->tsval = get32(p + i + 2);
			s->tsecr = get32(p + i + 6);
		}
		i += p[i + 1];
	}
}

int tcpseg__parse(const void *pkt, size_t len, uint16_t ethertype, struct tcpseg *s)
{
	const uint8_t *p = pkt, *tcp;
	struct tcp_seg c;
	size_t iph, doff;

	memset(s, 0, sizeof(*s));
	if (capture__parse(pkt, len, ethertype, &c))
		return -EINVAL;
	/* the kernel sends TCP without extension headers: anything else is not ours */
	iph = c.family == 6 ? IP6_HLEN : (p[0] & 0xf) * 4u;
	if (ethertype == ETH_P_IPV6 && p[6] != IPPROTO_TCP)
		return -EINVAL;
	tcp = p + iph;
	doff = (tcp[12] >> 4) * 4u;
	if (len < iph + doff)
		return -EINVAL;
	s->family = c.family;
	memcpy(s->saddr, c.saddr, sizeof(s->saddr));
	memcpy(s->daddr, c.daddr, sizeof(s->daddr));
	s->sport = c.sport;
	s->dport = c.dport;
	s->seq = c.seq;
	s->ack = c.ack;
	s->flags = c.flags;
	s->len = c.len;
	s->win = get16(tcp + 14);
	tcpseg__get_options(tcp + TCP_HLEN, doff - TCP_HLEN, s);
	return 0;
}
