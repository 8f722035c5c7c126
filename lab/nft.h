/* SPDX-License-Identifier: GPL-2.0 */
/* nft: drop chosen TCP segments in the current network namespace */
#ifndef TCPCLOSE_NFT_H
#define TCPCLOSE_NFT_H

/*
 * One table, "inet closegen", with rules on the input hook: "<match> counter name dropsN
 * drop", one counter per rule. Dropping on input rather than output keeps the dropped
 * segment visible to a capture on lo, which taps it on transmit.
 */
int nft__drop(const char *match);
int nft__drop_each(const char *const *matches, int n);	/* up to 4 rules */
long nft__drops(void);					/* all rules' drops */
long nft__wait_drops(long n, int timeout_ms);
long nft__stop(void);					/* the one rule's drops */
int nft__stop_each(long *drops, int n);			/* each rule's drops, or -errno */
int nft__remove(void);

#endif
