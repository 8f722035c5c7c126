// SPDX-License-Identifier: GPL-2.0
/* capture: parsing hand-built IPv4 and IPv6 TCP segments */
#include <linux/if_ether.h>
#include <string.h>
#include "capture.h"
#include "test.h"

/* TCP header: ports 1234 -> 80, seq 0x01020304, ack 0xa0b0c0d0, 32 bytes (with options) */
static const unsigned char tcp_hdr[32] = {
	0x04, 0xd2, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd0,
	0x80, TCP_FIN | TCP_ACK, 0x01, 0x00, 0, 0, 0, 0,
	1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,	/* nop nop timestamps */
};

static size_t build_ipv4(unsigned char *p, size_t payload)
{
	size_t total = 20 + sizeof(tcp_hdr) + payload;

	memset(p, 0, total);
	p[0] = 0x45;
	p[2] = total >> 8;
	p[3] = total & 0xff;
	p[6] = 0x40;			/* DF */
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, (unsigned char[]){ 127, 0, 0, 1 }, 4);
	memcpy(p + 16, (unsigned char[]){ 127, 0, 0, 2 }, 4);
	memcpy(p + 20, tcp_hdr, sizeof(tcp_hdr));
	return total;
}

void test_capture_parse_ipv4(void)
{
	unsigned char pkt[128];
	struct tcp_seg s;
	size_t len = build_ipv4(pkt, 5);

	if (!ASSERT_OK(capture__parse(pkt, len, ETH_P_IP, &s), "parse"))
		return;
	ASSERT_EQ(s.family, 4, "family");
	ASSERT_EQ(s.saddr[3], 1, "saddr");
	ASSERT_EQ(s.daddr[3], 2, "daddr");
	ASSERT_EQ(s.sport, 1234, "sport");
	ASSERT_EQ(s.dport, 80, "dport");
	ASSERT_EQ(s.seq, 0x01020304, "seq");
	ASSERT_EQ(s.ack, 0xa0b0c0d0u, "ack");
	ASSERT_EQ(s.flags, TCP_FIN | TCP_ACK, "flags");
	ASSERT_EQ(s.len, 5, "payload past the options");
	ASSERT_EQ(tcp_seg__fin_seq(&s), 0x01020304 + 5, "a FIN after data takes seq + len");
	/* a capture keeps only the headers: the length comes from the IP header */
	ASSERT_OK(capture__parse(pkt, 20 + sizeof(tcp_hdr), ETH_P_IP, &s), "truncated copy");
	ASSERT_EQ(s.len, 5, "payload of a truncated copy");
}

void test_capture_parse_rejects(void)
{
	unsigned char pkt[128];
	struct tcp_seg s;
	size_t len = build_ipv4(pkt, 0);

	ASSERT_NEQ(capture__parse(pkt, 30, ETH_P_IP, &s), 0, "cut inside the TCP header");
	pkt[9] = 17;
	ASSERT_NEQ(capture__parse(pkt, len, ETH_P_IP, &s), 0, "UDP");
	pkt[9] = 6;
	pkt[7] = 1;
	ASSERT_NEQ(capture__parse(pkt, len, ETH_P_IP, &s), 0, "a later fragment");
	pkt[7] = 0;
	ASSERT_NEQ(capture__parse(pkt, len, ETH_P_ARP, &s), 0, "ARP");
	ASSERT_OK(capture__parse(pkt, len, ETH_P_IP, &s), "the same packet, intact");
}

void test_capture_parse_ipv6(void)
{
	unsigned char pkt[160] = { 0 };
	size_t plen = 8 + sizeof(tcp_hdr) + 3;	/* a hop-by-hop header, then TCP */
	struct tcp_seg s;

	pkt[0] = 0x60;
	pkt[4] = plen >> 8;
	pkt[5] = plen & 0xff;
	pkt[6] = 0;			/* hop-by-hop options */
	pkt[7] = 64;
	pkt[8 + 15] = 1;		/* ::1 */
	pkt[24 + 15] = 1;
	pkt[40] = 6;			/* next: TCP */
	pkt[41] = 0;			/* 8 bytes */
	memcpy(pkt + 48, tcp_hdr, sizeof(tcp_hdr));
	if (!ASSERT_OK(capture__parse(pkt, 40 + plen, ETH_P_IPV6, &s), "parse"))
		return;
	ASSERT_EQ(s.family, 6, "family");
	ASSERT_EQ(s.saddr[15], 1, "saddr");
	ASSERT_EQ(s.sport, 1234, "sport");
	ASSERT_EQ(s.seq, 0x01020304, "seq");
	ASSERT_EQ(s.len, 3, "payload");
}

void test_capture_find(void)
{
	struct tcp_seg segs[] = {
		{ .sport = 1, .flags = TCP_SYN },
		{ .sport = 1, .flags = TCP_FIN | TCP_ACK, .seq = 10 },
		{ .sport = 2, .flags = TCP_FIN | TCP_ACK, .seq = 20 },
		{ .sport = 1, .flags = TCP_FIN | TCP_ACK, .seq = 10 },
	};
	struct capture c = { .segs = segs, .n = 4 };

	ASSERT_EQ(capture__fins(&c, 1), 2, "FINs from port 1");
	ASSERT_EQ(capture__fins(&c, 2), 1, "FINs from port 2");
	ASSERT_TRUE(capture__fin(&c, 1, 1) == &segs[3], "second FIN from port 1");
	ASSERT_TRUE(capture__fin(&c, 1, 2) == NULL, "no third");
	ASSERT_EQ(capture__count(&c, 1, TCP_SYN), 1, "SYNs");
}

/*
 * passive on a slow host (seen in the 6.1 guest): the client is slow to acknowledge the
 * pong, so with two segments out the tail-loss probe resends the server's FIN 9 ms after it
 * left (2 RTT + TCP_TIMEOUT_MIN at HZ=250).
 */
void test_capture_resends(void)
{
	struct tcp_seg segs[] = {
		{ .ts = 0.000, .sport = 1, .dport = 2, .flags = TCP_SYN, .seq = 100 },
		{ .ts = 0.001, .sport = 2, .dport = 1, .flags = TCP_SYN | TCP_ACK, .seq = 500,
		  .ack = 101 },
		{ .ts = 0.002, .sport = 1, .dport = 2, .flags = TCP_ACK | TCP_PSH, .seq = 101,
		  .ack = 501, .len = 5 },
		{ .ts = 0.003, .sport = 2, .dport = 1, .flags = TCP_ACK | TCP_PSH, .seq = 501,
		  .ack = 106, .len = 5 },
		{ .ts = 0.004, .sport = 2, .dport = 1, .flags = TCP_ACK | TCP_FIN, .seq = 506,
		  .ack = 106 },
		{ .ts = 0.013, .sport = 2, .dport = 1, .flags = TCP_ACK | TCP_FIN, .seq = 506,
		  .ack = 106 },
		{ .ts = 0.015, .sport = 1, .dport = 2, .flags = TCP_ACK, .seq = 106, .ack = 507 },
	};
	struct capture c = { .segs = segs, .n = 7 };

	ASSERT_EQ(capture__resends(&c), 1, "the FIN, once");
	ASSERT_EQ(capture__fin_resends(&c, 2, 1, 0), 1, "the server resent its FIN");
	ASSERT_EQ(capture__fin_resends(&c, 1, 2, 0), 0, "the client resent none");

	/* the same 4-tuple again (a new SYN): its FIN is its own, not a resend */
	segs[5].seq = 9000;
	segs[4].flags = TCP_SYN;
	segs[4].seq = 8999;
	ASSERT_EQ(capture__resends(&c), 0, "a new connection resends nothing");
	ASSERT_EQ(capture__fin_resends(&c, 2, 1, 1), 0, "nor in its second connection");
}

/* on lo a segment passes the tap sent, then received: the second copy gives its arrival */
void test_capture_rx_match(void)
{
	struct tcp_seg a = { .ts = 1.0, .sport = 1, .dport = 2, .seq = 10, .flags = TCP_FIN };
	struct tcp_seg b = { .ts = 1.1, .sport = 2, .dport = 1, .seq = 20, .flags = TCP_ACK };
	struct tcp_seg rx;
	struct capture c = { 0 };

	capture__add(&c, &a, true);
	capture__add(&c, &b, true);
	rx = b;
	rx.ts = 1.3;
	capture__add(&c, &rx, false);
	rx = a;
	rx.ts = 1.2;
	capture__add(&c, &rx, false);
	/* a resent copy of a: identical, and its arrival must not go to the first */
	a.ts = 1.4;
	capture__add(&c, &a, true);
	rx.ts = 1.5;
	capture__add(&c, &rx, false);
	if (!ASSERT_EQ(c.n, 3, "segments: received copies add none"))
		goto out;
	ASSERT_NEAR(tcp_seg__rx(&c.segs[0]), 1.2, 1e-9, "a arrived");
	ASSERT_NEAR(tcp_seg__rx(&c.segs[1]), 1.3, 1e-9, "b arrived, out of order");
	ASSERT_NEAR(tcp_seg__rx(&c.segs[2]), 1.5, 1e-9, "the resent a arrived");
	ASSERT_NEAR(tcp_seg__tx(&c.segs[2]), 1.4, 1e-9, "the resent a left");
	ASSERT_EQ(c.unmatched, 3, "all matched");
	ASSERT_TRUE(isnan(tcp_seg__rx(NULL)), "a missing segment has no time");
out:
	capture__free(&c);
}
