/* SPDX-License-Identifier: GPL-2.0 */
/* sock: TCP sockets over loopback, the options the scenarios set, and what they wait for */
#ifndef TCPCLOSE_SOCK_H
#define TCPCLOSE_SOCK_H

#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

/* the loopback address of family 4 or 6 with this port */
socklen_t sock__addr(int family, unsigned short port, struct sockaddr_storage *ss);

/* the local port of fd, or -errno */
int sock__port(int fd);
/* and its peer's */
int sock__peer_port(int fd);

/* a stuck peer must end a read or write with an error, not hang it */
void sock__timeouts(int fd, int seconds);

/* a listener on the loopback address of family 4 or 6, on a port the kernel picks */
int sock__listen(int family, unsigned short *port);

int sock__write_all(int fd, const void *buf, size_t len);
int sock__read_n(int fd, void *buf, size_t len);

/* bytes read until EOF, or -errno */
long sock__drain(int fd);

/* SO_LINGER {1, 0}: close() then sends an RST */
int sock__linger0(int fd);

int sock__keepalive(int fd, int idle_s, int intvl_s, int cnt);
int sock__user_timeout(int fd, unsigned int ms);
int sock__tcp_info(int fd, struct tcp_info *ti);

/* wait for the error an aborting timer leaves: that errno, or -ETIMEDOUT; *when: wall clock */
int sock__wait_error(int fd, int timeout_ms, double *when);

/* wait until a full socket is in the kernel's TCP state (TCP_FIN_WAIT2, ...) */
int sock__wait_state(int fd, int state, int timeout_ms);

#endif
