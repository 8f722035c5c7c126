#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
skipcheck.py TRACE JSON PID1_TIDS: which TCP close-state changes the kernel made (ftrace's
own record of sock:inet_sock_set_state, TRACE) never reached tcpclose (its --transitions
output, JSON), and in which task's context each happened. PID1_TIDS lists the thread ids of
PID 1, one a line. See tools/skipcheck.sh.
"""
import collections
import json
import re
import sys

CLOSING = {'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING', 'CLOSE'}
EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+): inet_sock_set_state: '
                   r'.*protocol=IPPROTO_TCP sport=(\d+) dport=(\d+) .*'
                   r'oldstate=TCP_(\w+) newstate=TCP_(\w+)')


def main():
    trace, records, tids_file = sys.argv[1:4]
    pid1 = {int(t) for t in open(tids_file).read().split()}
    seen = collections.Counter()
    lost = None
    for line in open(records):
        rec = json.loads(line)
        if rec['type'] == 'transition':
            seen[(rec['sport'], rec['dport'], rec['oldstate'], rec['newstate'])] += 1
        elif rec['type'] == 'lost':
            lost = rec
    events = []
    for line in open(trace):
        m = EVENT.match(line)
        if not m:
            continue
        comm, tid, cpu, flags, ts, sport, dport, old, new = m.groups()
        if new not in CLOSING or old == 'LISTEN':
            continue
        events.append((int(tid), comm, cpu, flags, ts, int(sport), int(dport), old, new))
    # tcpclose ran longer than the trace: count only between the first and last event it saw
    matched = []
    left = seen.copy()
    for i, e in enumerate(events):
        key = e[5:9]
        if left[key] > 0:
            left[key] -= 1
            matched.append(i)
    if not matched:
        sys.exit('skipcheck: tcpclose saw none of the traced state changes')
    lo, hi = matched[0], matched[-1]
    left = seen.copy()
    missed = collections.Counter()
    total = 0
    for i, e in enumerate(events):
        key = e[5:9]
        if left[key] > 0:
            left[key] -= 1
            if lo <= i <= hi:
                total += 1
            continue
        if not lo <= i <= hi:
            continue
        total += 1
        where = 'PID 1' if e[0] in pid1 else 'other'
        missed[where] += 1
        print('missed: %s-%d [%s] %s %s %d -> %d %s -> %s (%s)' % (e[1], e[0], e[2], e[3],
              e[4], e[5], e[6], e[7], e[8], where))
    print('state changes traced: %d; missed by tcpclose: %d in a thread of PID 1, %d elsewhere'
          % (total, missed['PID 1'], missed['other']))
    if lost:
        print('tcpclose counted: state_missed %s, late %s, unseen %s'
              % (lost.get('state_missed'), lost.get('late'), lost.get('unseen')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
