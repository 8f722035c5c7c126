// SPDX-License-Identifier: GPL-2.0
/*
 * raw: send one TCP segment built by hand, IP header included, so that source address and
 * port can be any end of a connection. No options and no payload: an RST or a bare ACK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "raw.h"

#define RAW_TCP_LEN 20

static uint32_t raw__sum(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* the TCP checksum over the IPv4 pseudo-header and the segment (whose own field is 0) */
static uint16_t raw__tcp_csum(const struct raw_seg *s, const void *tcp, size_t len)
{
	uint8_t pseudo[12];
	uint32_t sum;

	memcpy(pseudo, &s->saddr, 4);
	memcpy(pseudo + 4, &s->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = len >> 8;
	pseudo[11] = len & 0xff;
	sum = raw__sum(raw__sum(0, pseudo, sizeof(pseudo)), tcp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* send it in the current network namespace; 0 or -errno */
int raw__send(const struct raw_seg *s)
{
	uint8_t pkt[sizeof(struct iphdr) + RAW_TCP_LEN] = { 0 };
	struct iphdr *ip = (struct iphdr *)pkt;
	uint8_t *tcp = pkt + sizeof(*ip);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = s->daddr };
	uint16_t csum;
	int fd, err = 0;

	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = s->saddr.s_addr;
	ip->daddr = s->daddr.s_addr;
	/* raw(7): with IP_HDRINCL the kernel fills in the total length, id and checksum */
	tcp[0] = s->sport >> 8;
	tcp[1] = s->sport & 0xff;
	tcp[2] = s->dport >> 8;
	tcp[3] = s->dport & 0xff;
	tcp[4] = s->seq >> 24;
	tcp[5] = s->seq >> 16;
	tcp[6] = s->seq >> 8;
	tcp[7] = s->seq;
	tcp[8] = s->ack >> 24;
	tcp[9] = s->ack >> 16;
	tcp[10] = s->ack >> 8;
	tcp[11] = s->ack;
	tcp[12] = (RAW_TCP_LEN / 4) << 4;
	tcp[13] = s->flags;
	csum = raw__tcp_csum(s, tcp, RAW_TCP_LEN);
	tcp[16] = csum >> 8;
	tcp[17] = csum & 0xff;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(pkt))
		err = -errno;
	close(fd);
	return err;
}

/*
 * The same, from a child process: the kernel takes a segment in within the sender's system
 * call, so this keeps the receiving end's processing out of the caller's context.
 */
int raw__send_forked(const struct raw_seg *s)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(raw__send(s) ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}
