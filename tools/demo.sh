#!/bin/sh
# The demo behind 'sudo make demo': tcpclose traces a private network namespace while
# closegen closes connections there in each way the tracer tells apart. Deleting the
# namespace at the end ends the TIME_WAIT sockets early ("purged"), so every record shows
# within seconds instead of after the 60 s of TIME_WAIT.
set -eu
cd "$(dirname "$0")/.."
ns=tcpclose-demo-$$
out=$(mktemp)
tracer=

cleanup() {
	[ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" || true
	ip netns del "$ns" 2>/dev/null || true
	rm -f "$out"
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up

echo "== tcpclose -T --netns /run/netns/$ns, while closegen closes connections in it =="
./tcpclose -T --netns "/run/netns/$ns" 2>"$out" &
tracer=$!
# wait until the programs are attached
i=0
until grep -q "tcpclose: tracing" "$out"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$tracer" 2>/dev/null; then
		cat "$out" >&2
		exit 1
	fi
	sleep 0.1
done

for scenario in active active6 halfclose simultaneous unread linger0 peer_reset \
		listener_close fin_drop lastack_drop; do
	ip netns exec "$ns" .output/closegen "$scenario" >/dev/null
done
sleep 1
echo "== deleting the namespace: its TIME_WAIT sockets end now (tw_end purged) =="
ip netns del "$ns"
sleep 1
kill -INT "$tracer"
wait "$tracer" || true
tracer=
cat "$out" >&2
echo
echo "Each line: role, cause, milliseconds in each close state (FW1 FIN_WAIT1, FW2 FIN_WAIT2,"
echo "CW CLOSE_WAIT, LA LAST_ACK, CLSG CLOSING, TW TIME_WAIT), FIN retransmits, and how it ended."
echo "Try: sudo ./tcpclose --help"
