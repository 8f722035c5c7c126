/* SPDX-License-Identifier: GPL-2.0 */
/* raw: hand-made TCP segments over IPv4, for what no socket sends (an RST into TIME_WAIT) */
#ifndef TCPCLOSE_RAW_H
#define TCPCLOSE_RAW_H

#include <netinet/in.h>
#include <stdint.h>

struct raw_seg {
	struct in_addr saddr;
	struct in_addr daddr;
	uint16_t sport;		/* host order */
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;		/* TCP_RST, TCP_ACK, ... of capture.h */
};

int raw__send(const struct raw_seg *s);
int raw__send_forked(const struct raw_seg *s);

#endif
