/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs and user space. Fixed-size fields only: the same bytes
 * are a BPF map value, a ring-buffer event and a user-space struct.
 */
#ifndef __TCPCLOSE_H
#define __TCPCLOSE_H

#define TCPC_COMM_LEN 16

/*
 * The maps' sizes, as bpf/tcpclose.bpf.h declares them. User space sets the first three at
 * load from --ringbuf-size, --max-tw and --max-closing, whose defaults these are.
 */
#define TCPC_RINGBUF_SIZE		(1 << 22)	/* events: 4 MiB */
#define TCPC_MAX_TW		(1 << 17)	/* tws: timewait sockets followed at once, if
						 * tcp_max_tw_buckets cannot be read */
#define TCPC_MAX_TW_LIMIT	(1 << 24)	/* and at most, as --max-tw allows */
#define TCPC_MAX_CLOSING		(1 << 16)	/* conns: full sockets while they close */
#define TCPC_CONN_SLOTS			1024		/* conn_slots, in front of conns */
#define TCPC_MAX_KEEPALIVE	(1 << 14)	/* kas: sockets with keepalive probes counted */
#define TCPC_MAX_CIDRS		64		/* laddrs, raddrs: --laddr, --raddr */
#define TCPC_WAKEUP_BYTES	(64 * 1024)	/* bytes a CPU sends between asking the ring, at most */
#define TCPC_TW_ENDS_LOST	8192		/* tw_ends_lost: timewait ends the ring buffer
						 * had no room for, until user space reads them */

/* the close states a record keeps a dwell time for, in the order they are printed */
enum tcpc_state {
	TCPC_FIN_WAIT1,
	TCPC_FIN_WAIT2,
	TCPC_CLOSE_WAIT,
	TCPC_LAST_ACK,
	TCPC_CLOSING,
	TCPC_TIME_WAIT,
	TCPC_NR_STATES,
	TCPC_NOT_CLOSING = 0xff,
};

enum tcpc_role {
	TCPC_ROLE_NONE,		/* closed without a FIN exchange or reset (never established) */
	TCPC_ROLE_ACTIVE,		/* we sent the first FIN */
	TCPC_ROLE_PASSIVE,	/* the peer sent the first FIN */
	TCPC_ROLE_SIMULTANEOUS,	/* both FINs crossed: CLOSING */
	TCPC_ROLE_ABORTED,	/* the full socket ended by a reset */
};

enum tcpc_cause {
	TCPC_CAUSE_NORMAL,
	TCPC_CAUSE_RST_SENT,
	TCPC_CAUSE_RST_RECEIVED,
	TCPC_CAUSE_TIMEOUT,		/* a timer gave up (sk_err ETIMEDOUT), which one unseen */
	TCPC_CAUSE_KEEPALIVE_TIMEOUT,	/* keepalive probes exhausted (tcp_keepalive_timer) */
	TCPC_CAUSE_USER_TIMEOUT,		/* TCP_USER_TIMEOUT elapsed (keepalive or retransmit) */
	TCPC_CAUSE_RETRANS_TIMEOUT,	/* data retransmissions gave up (tcp_write_timeout) */
	TCPC_CAUSE_FIN_WAIT2_TIMEOUT,	/* an orphaned FIN_WAIT2 reached tcp_fin_timeout */
	TCPC_CAUSE_ORPHAN_RETRIES,	/* our FIN never acknowledged: tcp_orphan_retries */
};

/* why we sent a reset, where the kernel's close path tells */
enum tcpc_rst_reason {
	TCPC_RST_NONE,
	TCPC_RST_UNREAD_DATA,	/* close() with unread data in the receive queue */
	TCPC_RST_LINGER0,		/* close() with SO_LINGER {1, 0} */
	TCPC_RST_LISTENER_CLOSED,	/* a listener closed with this connection in its accept queue */
	TCPC_RST_ABORT,		/* another local abort: disconnect, sock_destroy, ... */
	TCPC_RST_DATA_AFTER_CLOSE,	/* data came after close() or SHUT_RD: the kernel aborted
					 * (TcpExtTCPAbortOnData) */
	TCPC_RST_LINGER2,		/* FIN_WAIT2 skipped: TCP_LINGER2 below 0 */
	TCPC_RST_SYN_AFTER_CLOSE,	/* a SYN came to an orphaned FIN_WAIT2 */
};

/* how the timewait socket ended */
enum tcpc_tw_end {
	TCPC_TW_NONE,		/* no timewait socket (passive close, reset, ...) */
	TCPC_TW_EXPIRED,		/* its timer fired */
	TCPC_TW_REUSED,		/* connect() recycled it (tcp_tw_reuse) */
	TCPC_TW_RST,		/* an RST killed it */
	TCPC_TW_SYN,		/* a new connection took the 4-tuple */
	TCPC_TW_PURGED,		/* its network namespace went away */
	TCPC_TW_OVERFLOW,		/* none was created: tcp_max_tw_buckets reached */
	TCPC_TW_KILLED,		/* killed early, cause not determined */
};

/* tcpc_conn.flags */
enum {
	TCPC_F_OUR_FIN = 1 << 0,		/* fin_seq/fin_ack are valid */
	TCPC_F_PEER_FIN = 1 << 1,		/* peer_fin_seq/peer_fin_ack are valid */
	TCPC_F_RST_RECEIVED = 1 << 2,
	TCPC_F_RST_SENT = 1 << 3,
	TCPC_F_TW = 1 << 4,		/* continued in a timewait socket */
	TCPC_F_TW_RESTART = 1 << 5,	/* the 2MSL timer was restarted by a peer FIN: see
					 * tw_restarts */
	TCPC_F_PARTIAL = 1 << 6,		/* began before tcpclose started */
	TCPC_F_END_UNSEEN = 1 << 7,	/* its end never reached tcpclose: sent as far as seen */
	TCPC_F_STATES_LOST = 1 << 8,	/* its first close states were not kept (no room in the
					 * connection map, or runs the kernel skipped): the
					 * record begins where tcpclose found it */
	TCPC_F_TW_HEAD = 1 << 9,		/* sent when a timewait socket (tw_sock) took the
					 * connection on: its restarts and end follow in struct
					 * tcpc_tw_event, which user space joins to it */
};

/*
 * A record whose dwells are bounds, not times: its first state began before tcpclose did,
 * or its last went on past what tcpclose saw. Histograms and metrics leave it out. One that
 * lost its first close states (TCPC_F_STATES_LOST) did not visit them: it saw each state it
 * did visit from its start to its end, and counts.
 */
#define TCPC_F_DWELL_BOUNDS (TCPC_F_PARTIAL | TCPC_F_END_UNSEEN)

enum tcpc_event_type {
	TCPC_EV_CLOSE = 1,	/* struct tcpc_conn: one close record, or its head */
	TCPC_EV_TRANSITION,	/* struct tcpc_transition: --transitions */
	TCPC_EV_STUCK,		/* struct tcpc_stuck: from the tcpc_iter walk, --stuck */
	TCPC_EV_TW_RESTART,	/* struct tcpc_tw_event: a peer FIN restarted 2MSL */
	TCPC_EV_TW_END,		/* struct tcpc_tw_event: the timewait socket is gone */
	TCPC_EV_TW_SEEN,	/* struct tcpc_tw_seen: a timewait socket followed without an entry */
};

/*
 * One connection's close, kept in BPF maps while it closes and sent once when it is gone.
 * Times are CLOCK_MONOTONIC nanoseconds; addresses and sequence numbers as on the wire,
 * ports in host order.
 */
struct tcpc_conn {
	__u8 type;			/* TCPC_EV_CLOSE */
	__u8 family;			/* AF_INET or AF_INET6 */
	__u8 state;			/* current kernel TCP state */
	__u8 role;			/* enum tcpc_role */
	__u8 cause;			/* enum tcpc_cause */
	__u8 rst_reason;		/* enum tcpc_rst_reason */
	__u8 tw_end;			/* enum tcpc_tw_end */
	__u8 visited;			/* bit (1 << enum tcpc_state) per close state visited */
	__u8 order[TCPC_NR_STATES];	/* close states in the order visited, TCPC_NOT_CLOSING after */
	__u16 sport;
	__u16 dport;
	__u16 pad0;
	__u32 flags;			/* TCPC_F_* */
	__u32 netns;			/* network namespace inode number */
	__u32 pid;			/* process seen in process context, 0 if none */
	__u32 fin_seq, fin_ack;		/* our FIN */
	__u32 peer_fin_seq, peer_fin_ack;
	__u32 cw_write_seq;		/* our write_seq when the peer's FIN came */
	__u32 fin_retrans;		/* retransmits of our FIN, tail-loss probes included */
	__u32 keepalive_probes;		/* keepalive probes we sent over the connection's life */
	__u32 keepalive_unanswered;	/* the longest run of them that got no answer */
	__u32 tw_restarts;		/* restarts of the 2MSL timer seen (a backend may merge
					 * resends it cannot tell apart: docs/BACKENDS.md) */
	__u32 tw_expires;		/* TCPC_F_TW_HEAD: its timer's deadline when the head was
					 * sent, jiffies modulo 2^32 */
	__u64 halfclosed_bytes;		/* sent after the peer's FIN, before ours */
	__u64 start_ns;			/* first close transition */
	__u64 enter_ns;			/* when the current state was entered */
	__u64 end_ns;			/* when the connection was gone */
	__u64 tw_restart_first_ns;	/* the first and the last restart of the 2MSL timer by a */
	__u64 tw_restart_last_ns;	/* resent peer FIN, if TCPC_F_TW_RESTART */
	__u64 tw_left_ns;		/* partial: time left on the timewait timer when found */
	__u64 cgroup_id;		/* the socket's cgroup v2 (its directory's inode), read
					 * when the record was made; 0 if unknown */
	__u64 tw_sock;			/* TCPC_F_TW_HEAD: the timewait socket, which its
					 * tcpc_tw_events name */
	__u64 dwell_ns[TCPC_NR_STATES];
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TCPC_COMM_LEN];
};

/*
 * A full socket's connection while it closes, the value of 'conns' (keyed by the socket):
 * what its record (struct tcpc_conn, made by tcpc_closing__record()) holds by then, and what
 * is needed to assemble it; the fields as the record names them. 192 bytes, so that a hash
 * element (its header, the key and this, plus the allocator's 8) is a 256-byte object, not a
 * 512-byte one: what the record gets only when it is sent (its end, its timewait phase) is
 * not kept, nor the bytes sent half-closed (fin_seq less cw_write_seq). User space reads
 * 'conns' at exit for the records still waiting for their owner.
 */
struct tcpc_closing {
	__u8 family;
	__u8 state;		/* current kernel TCP state; enter_ns is its clock */
	__u8 role;
	__u8 cause;
	__u8 rst_reason;
	__u8 tw_end;
	__u8 visited;
	__u8 cw_known;		/* cw_write_seq was read when the peer's FIN came */
	__u8 order[TCPC_NR_STATES];
	__u16 sport;
	__u16 dport;
	__u8 await_owner;	/* ended by a reset or timer while a process held the socket: the
				 * record waits for that process's close() (tcp_destroy_sock) */
	__u8 await_reset;	/* an unaccepted child softirq ended: a connection only if a
				 * reset follows before it is destroyed (state.bpf.c) */
	__u32 flags;
	__u32 netns;
	__u32 pid;
	__u32 fin_seq, fin_ack;
	__u32 peer_fin_seq, peer_fin_ack;
	__u32 cw_write_seq;
	__u32 fin_retrans;
	__u32 keepalive_probes;
	__u32 keepalive_unanswered;
	__u32 rcv_shut_data_segs;	/* data segments taken in (tcp_sock.data_segs_in) by the
					 * time receiving was shut down */
	__u8 walk_mark;		/* the last TCPC_ITER_MARK walk that found its socket */
	__u8 rcv_shut_known;	/* rcv_shut_data_segs was read: receiving is shut down */
	__u8 pad[2];
	__u64 start_ns;		/* first close transition */
	__u64 enter_ns;		/* when the current state was entered */
	__u64 cgroup_id;
	__u64 dwell_ns[TCPC_NR_STATES];
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TCPC_COMM_LEN];
};

_Static_assert(sizeof(struct tcpc_closing) == 192, "a conns element is a 256-byte object");

/* a value of conn_slots: the entry of the full socket sk, or free (sk 0) */
struct tcpc_conn_slot {
	__u64 sk;
	struct tcpc_closing c;
};

/*
 * The record of c, ended at end_ns (0: not yet, a head), into rec: every byte written, as
 * rec may be a ring buffer's reservation. tw_sock and tw_left_ns are a head's
 * (TCPC_F_TW_HEAD, TCPC_F_PARTIAL); the 2MSL restarts are the timewait phase's, 0 here.
 */
static inline void tcpc_closing__record(struct tcpc_conn *rec, const struct tcpc_closing *c,
					__u64 end_ns, __u64 tw_sock, __u64 tw_left_ns)
{
	rec->type = TCPC_EV_CLOSE;
	rec->family = c->family;
	rec->state = c->state;
	rec->role = c->role;
	rec->cause = c->cause;
	rec->rst_reason = c->rst_reason;
	rec->tw_end = c->tw_end;
	rec->visited = c->visited;
	__builtin_memcpy(rec->order, c->order, sizeof(rec->order));
	rec->sport = c->sport;
	rec->dport = c->dport;
	rec->pad0 = 0;
	rec->flags = c->flags;
	rec->netns = c->netns;
	rec->pid = c->pid;
	rec->fin_seq = c->fin_seq;
	rec->fin_ack = c->fin_ack;
	rec->peer_fin_seq = c->peer_fin_seq;
	rec->peer_fin_ack = c->peer_fin_ack;
	rec->cw_write_seq = c->cw_write_seq;
	rec->fin_retrans = c->fin_retrans;
	rec->keepalive_probes = c->keepalive_probes;
	rec->keepalive_unanswered = c->keepalive_unanswered;
	rec->tw_restarts = 0;
	rec->tw_expires = 0;
	/* our FIN, after CLOSE_WAIT, took the sequence number write_seq had come to */
	rec->halfclosed_bytes = c->cw_known && (c->flags & TCPC_F_OUR_FIN) ?
				(__u32)(c->fin_seq - c->cw_write_seq) : 0;
	rec->start_ns = c->start_ns;
	rec->enter_ns = c->enter_ns;
	rec->end_ns = end_ns;
	rec->tw_restart_first_ns = 0;
	rec->tw_restart_last_ns = 0;
	rec->tw_left_ns = tw_left_ns;
	rec->cgroup_id = c->cgroup_id;
	rec->tw_sock = tw_sock;
	__builtin_memcpy(rec->dwell_ns, c->dwell_ns, sizeof(rec->dwell_ns));
	__builtin_memcpy(rec->saddr, c->saddr, sizeof(rec->saddr));
	__builtin_memcpy(rec->daddr, c->daddr, sizeof(rec->daddr));
	__builtin_memcpy(rec->comm, c->comm, sizeof(rec->comm));
}

/* the functions tw_kill_text (bpf/tcpclose.bpf.h) holds the text of */
enum tcpc_tw_kill_fn {
	TW_KILL_PROCESS,	/* tcp_timewait_state_process(): a reset taken in */
	TW_KILL_V4_RCV,		/* tcp_v4_rcv(), tcp_v6_rcv(): after the reset they sent, or a
				 * SYN handed to a listener */
	TW_KILL_V6_RCV,
	TW_KILL_ABORT,		/* tcp_abort(): a process killed it (sock_destroy, ss -K) */
	TW_KILL_NR,
};

/* tcpc_tw.flags, tcpc_tw_event.flags */
enum {
	TCPC_TWF_PEER_FIN = 1 << 0,	/* the peer's FIN came in the timewait socket: rcv_nxt and
					 * snd_nxt are the socket's after it */
	TCPC_TWF_RST_SENT = 1 << 1,	/* it answered a segment with a reset before its end */
	TCPC_TWF_RST_SYN = 1 << 2,	/* that segment was a SYN (else data) */
	TCPC_TWF_PARTIAL = 1 << 3,	/* found by the start-up walk */
	TCPC_TWF_NO_HIST = 1 << 4,	/* --hist: its dwells are lower bounds, not counted */
	TCPC_TWF_END_UNSEEN = 1 << 5,	/* its end never reached tcpclose (tcpc_tw_event only) */
	TCPC_TWF_LOST = 1 << 6,		/* a part of its record found the ring buffer full: the
					 * record is counted lost once, and the rest not sent */
	TCPC_TWF_EXACT = 1 << 7,	/* tcpc_tw_seen: the backend sees every re-arm (fentry,
					 * kprobe): a deadline later than known is no restart */
};

/*
 * A connection while a timewait socket carries it on: the value of 'tws', keyed by the
 * socket. 32 bytes, so that a hash element (header, key and this, plus the allocator's 8)
 * fits the 96-byte slab: what the record needs of the timewait phase only; the rest was sent
 * in its head (TCPC_F_TW_HEAD) when the socket took the connection on. A deadline is jiffies
 * modulo 2^32 (it is never far from now); when its state began, the clock's nanoseconds /
 * 1024 in 48 bits (8.9 years of uptime), as that can be long ago: an orphan's FIN_WAIT2
 * began at close(), and a tcp_fin_timeout over 60 s keeps it in the full socket for all
 * but the last 60 s; a peer that keeps resending its FIN restarts 2MSL for as long as it
 * likes, and TIME_WAIT began at the first (tcpc_tw__enter_ns()).
 */
struct tcpc_tw {
	__u32 enter_lo;		/* when its state began: the low 32 bits, enter_hi the high 16 */
	__u32 expires;		/* the timer's deadline the entry is up to date with */
	__u32 rcv_nxt, snd_nxt;	/* the socket's, as last read */
	__u16 sport, dport;	/* whose entry it is: the address may be another socket's since */
	__u8 state;		/* TCP_FIN_WAIT2 (an orphan) or TCP_TIME_WAIT */
	__u8 flags;		/* TCPC_TWF_* */
	__u8 walk_mark;		/* the last TCPC_ITER_MARK walk that found its socket */
	/* tracepoints: what its timer's last unsettled cancel guessed (enum tcpc_tw_end) and
	 * read, for a CPU that finds the entry stale and must settle it (rcv_nxt, snd_nxt too) */
	__u8 cancel_kind;
	__u32 cancel_expires;
	__u8 cancel_substate;
	__u8 pad;
	__u16 enter_hi;
};

_Static_assert(sizeof(struct tcpc_tw) == 32, "a tws element is a 96-byte object");

/* when t's state began, by the clock (bpf_ktime_get_ns()), to within 1024 ns */
static inline __u64 tcpc_tw__enter_ns(const struct tcpc_tw *t)
{
	return ((__u64)t->enter_hi << 32 | t->enter_lo) << 10;
}

static inline void tcpc_tw__set_enter(struct tcpc_tw *t, __u64 ns)
{
	t->enter_lo = ns >> 10;
	t->enter_hi = ns >> 42;
}

/* the timewait phase of a record whose head was sent (TCPC_F_TW_HEAD), for user space to join */
struct tcpc_tw_event {
	__u8 type;		/* TCPC_EV_TW_RESTART or TCPC_EV_TW_END */
	__u8 state;		/* END: the state it ended in (FIN_WAIT2 or TIME_WAIT) */
	__u8 tw_end;		/* END: enum tcpc_tw_end */
	__u8 flags;		/* END: TCPC_TWF_* */
	__u32 rcv_nxt, snd_nxt;	/* END, TCPC_TWF_PEER_FIN: the peer's FIN is rcv_nxt - 1 */
	__u32 pad;
	__u64 tw;		/* the timewait socket: tcpc_conn.tw_sock of its head */
	__u64 ns;		/* RESTART: when; END: when it was gone */
	__u64 enter_ns;		/* END: when its last state began */
};

/* what a struct tcpc_tw_seen tells */
enum tcpc_tw_seen_what {
	TCPC_TW_SEEN_SETTLE,	/* its substate and deadline, read: settle the record by them */
	TCPC_TW_SEEN_MOVED,	/* read just before a re-arm: settle by it only if the deadline is
				 * not the one last known (an earlier re-arm went unseen) */
	TCPC_TW_SEEN_REARM,	/* a peer FIN re-armed it at ns: TIME_WAIT began, or 2MSL restarted */
	TCPC_TW_SEEN_END,	/* gone at ns, as tw_end says */
};

/*
 * Without an entry (bpf/timewait_noentry.bpf.h): what a timewait socket's timer showed, read
 * from the socket, for user space to settle the record its head began (user/tw_join.c) as
 * timewait__settle() settles an entry. The ports say whose: the address may be another
 * socket's by the time this is read.
 */
struct tcpc_tw_seen {
	__u8 type;		/* TCPC_EV_TW_SEEN */
	__u8 what;		/* enum tcpc_tw_seen_what */
	__u8 substate;		/* the socket's: TCP_FIN_WAIT2 (an orphan) or TCP_TIME_WAIT */
	__u8 tw_end;		/* END: enum tcpc_tw_end */
	__u8 flags;		/* TCPC_TWF_RST_SENT, TCPC_TWF_RST_SYN (END), TCPC_TWF_EXACT */
	__u8 pad;
	__u16 sport, dport;
	__u16 pad1;
	__u32 expires;		/* its timer's deadline, jiffies modulo 2^32 */
	__u32 rcv_nxt, snd_nxt;	/* TIME_WAIT: the peer's FIN is rcv_nxt - 1, our FIN snd_nxt - 1 */
	__u64 tw;		/* the timewait socket: tcpc_conn.tw_sock of its head */
	__u64 ns;		/* when: read (SETTLE, MOVED), re-armed (REARM), gone (END) */
	__u64 armed_ns;		/* TIME_WAIT: when a 2MSL with this deadline was armed */
};

/* a timewait socket a TCPC_ITER_MARK walk found, without entries: user space marks its head */
struct tcpc_tw_found {
	__u64 tw;
	__u16 sport, dport;
	__u32 snd_nxt;
};

/* pseudo-state in tcpc_transition.newstate: a keepalive probe went unanswered */
#define TCPC_KEEPALIVE_UNANSWERED 0x80

/* --transitions: one per state change of a traced connection */
struct tcpc_transition {
	__u8 type;			/* TCPC_EV_TRANSITION */
	__u8 family;
	__u8 oldstate;
	__u8 newstate;
	__u16 sport;
	__u16 dport;
	__u32 netns;
	__u32 pid;			/* 0 unless the change ran in process context */
	__u64 ts_ns;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TCPC_COMM_LEN];
	__u32 unanswered;		/* TCPC_KEEPALIVE_UNANSWERED: probes unanswered now */
	__u32 pad;
	__u64 cgroup_id;		/* the socket's cgroup v2, as a record's; 0 if unknown */
};

/*
 * A timewait timer was cancelled on this CPU and what follows will tell whether the socket
 * died, expired or was re-armed (bpf/timewait.bpf.h). User space reads it to settle one that
 * nothing followed.
 */
struct tcpc_tw_pending {
	__u64 tw;
	__u64 ts_ns;
	__u64 expires;
	__u64 jiffies;		/* when it was cancelled */
	__u32 rcv_nxt;
	__u32 snd_nxt;
	__u16 sport, dport;	/* whose entry it is: the address may be reused meanwhile */
	__u8 substate;
	__u8 kind;		/* enum tcpc_tw_end if it was a kill */
	__u8 flags;		/* without an entry: TCPC_TWF_RST_SENT, TCPC_TWF_RST_SYN */
	__u32 netns;		/* the socket's network namespace */
};

/*
 * Dwell histograms (--hist), kept in the kernel: log-linear buckets over microseconds, like an
 * HDR histogram. Below 2^TCPC_HIST_SUB_BITS us each microsecond has its bucket; above, each
 * power of two is cut into 2^TCPC_HIST_SUB_BITS equal buckets, so a bucket is never wider than
 * 1/128 of its values (0.4% error from its middle): fine enough for percentiles of a 60 s
 * TIME_WAIT, which plain log2 buckets are not.
 */
#define TCPC_HIST_SUB_BITS 7
#define TCPC_HIST_SUB (1U << TCPC_HIST_SUB_BITS)
#define TCPC_HIST_MAX_LOG2 42		/* 2^42 us: 51 days; longer dwells share the last bucket */
#define TCPC_HIST_BUCKETS ((TCPC_HIST_MAX_LOG2 - TCPC_HIST_SUB_BITS + 2) * TCPC_HIST_SUB)

/*
 * Each CPU counts in its own copy (a per-CPU array): two CPUs adding to the same bucket's
 * cache line bounced it between them on every record. A per-CPU value is at most 32 KiB,
 * so a state's buckets are cut into chunks, element s * TCPC_HIST_CHUNKS + bucket / TCPC_HIST_SUB.
 */
#define TCPC_HIST_CHUNKS (TCPC_HIST_BUCKETS / TCPC_HIST_SUB)

struct tcpc_hist_chunk {
	__u64 count[TCPC_HIST_SUB];
};

/* the longest dwell in each close state, in microseconds (per CPU too) */
struct tcpc_hist_max {
	__u64 us[TCPC_NR_STATES];
};

static inline unsigned int tcpc_log2(__u64 v)
{
	unsigned int r = 0, shift;

	/* no clz in BPF: binary search over the 64 bits */
	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static inline unsigned int tcpc_hist_index(__u64 us)
{
	unsigned int e;

	if (us < TCPC_HIST_SUB)
		return us;
	e = tcpc_log2(us);
	if (e > TCPC_HIST_MAX_LOG2)
		return TCPC_HIST_BUCKETS - 1;
	return (e - TCPC_HIST_SUB_BITS + 1) * TCPC_HIST_SUB +
	       ((us >> (e - TCPC_HIST_SUB_BITS)) & (TCPC_HIST_SUB - 1));
}

/* what the tcpc_iter program does on one walk of a namespace's sockets */
enum tcpc_iter_mode {
	TCPC_ITER_GAUGES,		/* count the sockets in each close state */
	TCPC_ITER_SEED,		/* start following those that were closing before we started */
	TCPC_ITER_STUCK,		/* write a struct tcpc_stuck for each one stuck past the threshold */
	TCPC_ITER_MARK,		/* set walk_mark = iter_mark in the entry of every socket that is there
				 * (timewait sockets without entries: write a struct tcpc_tw_found) */
	TCPC_ITER_PORTS,		/* write a struct tcpc_port for each socket holding a local port */
	TCPC_ITER_HELD,		/* write a struct tcpc_stuck for every socket in a close state
				 * (tcpclose top: what the kernel holds now, per group) */
};

/* tcpc_port.flags */
enum {
	TCPC_PORT_TW = 1 << 0,		/* a timewait socket: state is its substate */
	TCPC_PORT_TS = 1 << 1,		/* it saw TCP timestamps (tw_ts_recent_stamp): what
					 * tcp_tw_reuse needs to hand its port to a connect() */
	TCPC_PORT_LO_BOUND = 1 << 2,	/* bound to the loopback device (tcp_tw_reuse=2) */
};

/*
 * --port-pressure: a socket that holds a local port towards a destination (any state but
 * LISTEN and CLOSE; request sockets hold none of their own), written by the tcpc_iter walk.
 */
struct tcpc_port {
	__u8 family;
	__u8 state;		/* kernel TCP state (a timewait socket: its substate) */
	__u8 flags;		/* TCPC_PORT_* */
	__u8 pad;
	__u16 sport;		/* the local port held */
	__u16 dport;
	__u32 netns;
	__u32 tw_age_ms;	/* TCPC_PORT_TW: since it entered TIME_WAIT, as tcp_tw_reuse counts */
	__u8 saddr[16];
	__u8 daddr[16];
};

/*
 * --stuck: a connection in CLOSE_WAIT, FIN_WAIT2 or LAST_ACK for at least the threshold,
 * written by the tcpc_iter walk into its seq_file (bpf_seq_write), one per walk while stuck.
 * TCPC_ITER_HELD writes the same for every socket in a close state, followed or not: then
 * pid and comm are the followed entry's (0 and "" if tcpclose follows none), age_ns 0 for
 * one not followed.
 */
struct tcpc_stuck {
	__u8 type;		/* TCPC_EV_STUCK */
	__u8 family;
	__u8 state;		/* kernel TCP state (a timewait socket: its substate) */
	__u8 partial;		/* in that state already when tcpclose started: age is a lower bound */
	__u16 sport;
	__u16 dport;
	__u32 netns;
	__u32 pid;		/* the process seen in process context, 0 if none */
	__u64 age_ns;		/* time in that state so far ... */
	__u64 ts_ns;		/* ... when the walk saw it: a walk over many sockets takes time */
	__u64 ino;		/* the socket's inode, to find who holds it open; 0 if orphaned */
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TCPC_COMM_LEN];
	__u8 close_state;	/* state as enum tcpc_state */
	__u8 pad[7];
	__u64 cgroup_id;	/* the socket's cgroup v2 id (its full socket's), 0 if not known */
	__u64 tw;		/* a followed timewait socket: its record's head (TCPC_F_TW_HEAD)
				 * has pid, comm and cgroup_id, which user space fills in */
};

/* --laddr/--raddr: an LPM trie key, the family byte first so one trie holds v4 and v6 */
struct tcpc_cidr_key {
	__u32 prefixlen;	/* 8 for the family byte + the prefix length */
	__u8 family;
	__u8 addr[16];
};

/* per-CPU loss counters, index into the 'drops' array map */
enum tcpc_drop {
	TCPC_DROP_RINGBUF,	/* bpf_ringbuf_reserve failed: record lost */
	TCPC_DROP_STATES_LOST,	/* not a loss: records sent without their first close states
				 * (TCPC_F_STATES_LOST), each counted once */
	TCPC_DROP_TW_MAP,		/* timewait map full: a timewait socket is not followed */
	TCPC_DROP_LATE,		/* not a loss: a record sent when its socket was destroyed,
				 * its CLOSE having been missed (a nested run skipped) */
	TCPC_DROP_UNSEEN,		/* a socket's end went unseen (no CLOSE, no destruction): its
				 * record is sent partial when its address is reused, and its
				 * TIME_WAIT, if it had one, is not followed */
	TCPC_DROP_KA_MAP,		/* keepalive map full: a socket's probes are not counted */
	TCPC_DROP_TW_SEEN,	/* without timewait entries: a re-arm of a timewait socket (or
				 * its deadline read before one) found the ring buffer full: its
				 * record is sent, and may lack a restart of 2MSL */
	TCPC_DROP_TW_END,		/* without timewait entries: a timewait socket's end found the
				 * ring buffer full, and is named in tw_ends_lost if it has room;
				 * not counted here as a record lost: user space counts it
				 * (ringbuf) when it forgets a head by that name, else the head's
				 * loss was counted already, or (not named) the head is sent
				 * end_unseen at exit */
	TCPC_NR_DROPS,
};

#endif /* __TCPCLOSE_H */
