/* SPDX-License-Identifier: GPL-2.0 */
/* nft: drop chosen TCP segments in the current network namespace */
#ifndef TCPCLOSE_NFT_H
#define TCPCLOSE_NFT_H

/*
 * One table, "inet closegen", with one rule on the input hook:
 * "<match> counter name drops drop". Dropping on input rather than output keeps the
 * dropped segment visible to a capture on lo, which taps it on transmit.
 */
int nft__drop(const char *match);
long nft__drops(void);
long nft__wait_drops(long n, int timeout_ms);
long nft__stop(void);
int nft__remove(void);

#endif
