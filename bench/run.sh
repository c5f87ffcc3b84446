#!/bin/sh
# SPDX-License-Identifier: ISC
#
# run.sh: measure carehubd's GET /healthz against bench/bare_server (the
# ceiling: bare libevent + OpenSSL, same certificates, same machine) in one
# run, and print the ratio carehubd/bare with the target (>= 0.80).
#
# It creates a demo hub in a temporary directory (carehubctl demo-init),
# starts carehubd -f on it (its log goes to a file at the configured level)
# and bare_server on another port, both on 127.0.0.1 only, then drives
# each in turn with bench/loadgen (mutual TLS, keep-alive, 64 connections)
# and takes each server's CPU from /proc/PID/stat over the measured window.
# The servers take turns in short slices (ABBA) so that the machine's drift
# falls on both alike.  Both servers are stopped on exit.
#
# Usage: run.sh [-b BUILDDIR] [-d SECS] [-r ROUNDS] [-n CONNS] [-w WARMUP]
#               [-k] [-s]
#   -b  build directory holding carehubd, carehubctl and bench/ (default:
#       $CAREHUB_BUILDDIR, else the directory where carehubd is: the
#       current directory, this script's parent, or on PATH)
#   -d  seconds measured per server (10), split into -r rounds (5); the
#       servers take turns, one slice each per round
#   -n  connections (64)                      -w  warm-up s per slice (1)
#   -k  keep the work directory               -s  exit 3 if target missed
# Exit: 0 measured, 1 could not measure, 2 usage, 3 target missed (-s).
set -eu

TARGET=0.80
BARE_FLOOR=13000
SECS=10
ROUNDS=5
CONNS=64
WARMUP=1
KEEP=0
STRICT=0
B=${CAREHUB_BUILDDIR:-}

usage() {
	sed -n '/^# Usage:/,/^# Exit:/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

while getopts b:d:r:n:w:ksh opt; do
	case $opt in
	b) B=$OPTARG ;;
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) CONNS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	k) KEEP=1 ;;
	s) STRICT=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$SECS" "$ROUNDS" "$CONNS" "$WARMUP"; do
	case $v in
	''|*[!0-9]*) usage ;;
	esac
done
[ "$ROUNDS" -ge 1 ] && [ "$CONNS" -ge 1 ] || usage

if [ -z "$B" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	if [ -x ./carehubd ]; then
		B=.
	elif [ -x "$top/carehubd" ]; then
		B=$top
	elif command -v carehubd >/dev/null 2>&1; then
		B=$(dirname "$(command -v carehubd)")
	else
		die "no carehubd here, in $top or on PATH: give -b BUILDDIR"
	fi
fi
B=$(cd "$B" && pwd) || die "no build directory $B"
CAREHUBD=$B/carehubd
CAREHUBCTL=$B/carehubctl
BARE=$B/bench/bare_server
LOADGEN=$B/bench/loadgen
for f in "$CAREHUBD" "$CAREHUBCTL" "$BARE" "$LOADGEN"; do
	[ -x "$f" ] || die "$f not built (run make in $B, or give -b BUILDDIR)"
done
command -v curl >/dev/null 2>&1 || die "curl is needed"

W=$(mktemp -d "${TMPDIR:-/tmp}/carehub-bench.XXXXXX")
HUB_PID=
BARE_PID=

# Stop a server we started: TERM, up to 12 s to drain (carehubd's own
# watchdog is 10 s), then KILL.  Prints nothing on a clean exit.
stop() {
	pid=$1 name=$2
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 120 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "run.sh: $name did not stop on SIGTERM, killing" >&2
		kill -KILL "$pid" 2>/dev/null || :
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ $rc -eq 0 ] || echo "run.sh: $name exited with status $rc" >&2
}

cleanup() {
	trap - EXIT INT TERM
	stop "$HUB_PID" carehubd
	stop "$BARE_PID" bare_server
	if [ $KEEP -eq 1 ]; then
		echo "work directory kept: $W" >&2
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A TCP port nothing on this host is using (/proc/net/tcp*, any state).
free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		hex=$(printf '%04X' "$p")
		if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    awk '{ print $2 }' | grep -q ":$hex\$"; then
			echo "$p"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# utime+stime of a process in clock ticks (fields 14 and 15; the command
# name in field 2 may hold spaces, so count from its closing parenthesis).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Whole machine, from /proc/stat: "busy steal" in clock ticks, where busy
# is user+nice+system time of every process (not interrupts, which are
# mostly our own loopback traffic).
sys_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4, $9; exit }' /proc/stat
}

now_ns() {
	date +%s%N
}

# Value of key $1 in loadgen's key=value line in file $2.
kv() {
	awk -v k="$1" '{
		for (i = 1; i <= NF; i++)
			if (index($i, k "=") == 1) {
				print substr($i, length(k) + 2)
				exit
			}
	}' "$2"
}

log_tail() {
	echo "--- last lines of $1:" >&2
	tail -n 20 "$1" >&2 || :
}

# --- carehubd on a demo hub ------------------------------------------------
P1=$(free_port) || die "no free port"
DEMO=$W/demo
mkdir -m 700 "$DEMO"
"$CAREHUBCTL" demo-init "$DEMO" --port "$P1" >"$W/demo-init.log" 2>&1 || {
	log_tail "$W/demo-init.log"
	die "carehubctl demo-init failed"
}
[ -r "$DEMO/demo.env" ] || die "demo-init wrote no $DEMO/demo.env"
. "$DEMO/demo.env"
for v in CAREHUB_URL CAREHUB_CONF CAREHUB_CA CAREHUB_GP_CERT CAREHUB_GP_KEY; do
	eval "[ -n \"\${$v:-}\" ]" || die "$DEMO/demo.env does not set $v"
done
case $CAREHUB_URL in
https://127.0.0.1:*) ;;
*) die "CAREHUB_URL=$CAREHUB_URL: only https://127.0.0.1 is benchmarked" ;;
esac
HUB_URL=https://127.0.0.1:$P1/healthz
SERVER_CERT=${CAREHUB_SERVER_CERT:-$DEMO/server.crt}
SERVER_KEY=${CAREHUB_SERVER_KEY:-$DEMO/server.key}
for f in "$SERVER_CERT" "$SERVER_KEY" "$CAREHUB_CA"; do
	[ -r "$f" ] || die "demo-init wrote no $f"
done

"$CAREHUBD" -f "$CAREHUB_CONF" >"$W/carehubd.log" 2>&1 &
HUB_PID=$!
i=0
until curl -sf -o /dev/null --max-time 2 --cacert "$CAREHUB_CA" \
    --cert "$CAREHUB_GP_CERT" --key "$CAREHUB_GP_KEY" "$HUB_URL"; do
	if ! kill -0 "$HUB_PID" 2>/dev/null; then
		log_tail "$W/carehubd.log"
		die "carehubd exited during start-up"
	fi
	if [ $i -ge 100 ]; then
		log_tail "$W/carehubd.log"
		die "carehubd did not answer $HUB_URL within 10 s"
	fi
	sleep 0.1
	i=$((i + 1))
done

# --- bare server, same certificates --------------------------------------
"$BARE" -a 127.0.0.1 -p 0 -c "$SERVER_CERT" -k "$SERVER_KEY" \
    -C "$CAREHUB_CA" >"$W/bare.out" 2>"$W/bare.log" &
BARE_PID=$!
i=0
until grep -q '^ready port=' "$W/bare.out" 2>/dev/null; do
	if ! kill -0 "$BARE_PID" 2>/dev/null || [ $i -ge 50 ]; then
		log_tail "$W/bare.log"
		die "bare_server did not start"
	fi
	sleep 0.1
	i=$((i + 1))
done
P2=$(sed -n 's/^ready port=//p' "$W/bare.out")
BARE_URL=https://127.0.0.1:$P2/healthz

# --- measure ---------------------------------------------------------------
# measure NAME PID URL K: loadgen against URL for one slice; the server's
# CPU and the machine's are read when the warm-up ends and when loadgen
# exits.  Leaves NAME.K.lg (loadgen's line) and NAME.K.cpu (server ticks,
# wall ns, machine busy ticks, machine steal ticks).
measure() {
	name=$1 pid=$2 url=$3 k=$4
	"$LOADGEN" -u "$url" -c "$CAREHUB_GP_CERT" -k "$CAREHUB_GP_KEY" \
	    -C "$CAREHUB_CA" -n "$CONNS" -d "$SLICE" -w "$WARMUP" \
	    >"$W/$name.$k.lg" 2>"$W/$name.$k.lgerr" &
	lg=$!
	sleep "$WARMUP"
	c0=$(cpu_ticks "$pid")
	t0=$(now_ns)
	m0=$(sys_ticks)
	rc=0
	wait "$lg" || rc=$?
	c1=$(cpu_ticks "$pid")
	t1=$(now_ns)
	m1=$(sys_ticks)
	if [ $rc -ne 0 ] || ! grep -q '^requests=' "$W/$name.$k.lg"; then
		cat "$W/$name.$k.lgerr" >&2
		die "loadgen against $name failed (status $rc)"
	fi
	echo "$((c1 - c0)) $((t1 - t0)) $m0 $m1" | awk '{
		print $1, $2, $5 - $3, $6 - $4 }' >"$W/$name.$k.cpu"
}

# The machine is a shared VM whose speed drifts by 20% or more from one
# second to the next, so the two servers take turns in short slices, in
# ABBA order, and each total is over all of its slices.
SLICE=$((SECS / ROUNDS))
[ $SLICE -ge 1 ] || SLICE=1
echo "carehubd $HUB_URL vs bare_server $BARE_URL: $CONNS connections," \
    "$ROUNDS rounds of ${SLICE}s each (after ${WARMUP}s warm-up)" >&2
k=1
while [ $k -le $ROUNDS ]; do
	if [ $((k % 2)) -eq 1 ]; then
		measure carehubd "$HUB_PID" "$HUB_URL" $k
		measure bare "$BARE_PID" "$BARE_URL" $k
	else
		measure bare "$BARE_PID" "$BARE_URL" $k
		measure carehubd "$HUB_PID" "$HUB_URL" $k
	fi
	k=$((k + 1))
done

# --- report ----------------------------------------------------------------
# One line per slice: requests secs p50 p99 client_cpu errors ticks wall_ns
# machine_busy machine_steal
slices() {
	k=1
	while [ $k -le $ROUNDS ]; do
		f=$W/$1.$k.lg
		echo "$(kv requests "$f") $(kv secs "$f") $(kv p50_us "$f")" \
		    "$(kv p99_us "$f") $(kv client_cpu_pct "$f")" \
		    "$(kv errors "$f") $(cat "$W/$1.$k.cpu")"
		k=$((k + 1))
	done
}

# Totals for server $1: rps = all requests / all measured time; p50 and
# p99 are the medians of the slices' values; CPU is over all slices.
# Prints: name rps p50 p99 srv_cpu_pct srv_us_per_req cli_cpu_pct errors
total() {
	slices "$1" | awk -v n="$1" -v hz="$HZ" '
	function median(a, m,    i, j, t) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	{
		m++; req += $1; secs += $2; p50[m] = $3; p99[m] = $4
		cli += $5 * $2; err += $6; ticks += $7; wall += $8
	}
	END {
		cpu_s = ticks / hz
		printf "%s %d %d %d %.1f %.1f %.1f %d\n", n, req / secs,
		    median(p50, m), median(p99, m), 100 * cpu_s / (wall / 1e9),
		    (req > 0) ? cpu_s * 1e6 / req : 0, cli / secs, err
	}'
}

# CPU that neither server nor loadgen used, and steal, over all slices, in
# per cent of one core: "other steal".  Anything much above zero means the
# machine was shared while we measured.
machine_noise() {
	{ slices carehubd; slices bare; } | awk -v hz="$HZ" '{
		wall += $8 / 1e9
		other += $9 - $7 - $5 / 100 * $2 * hz; steal += $10
	}
	END {
		if (other < 0)
			other = 0
		printf "%.0f %.0f\n", 100 * other / hz / wall,
		    100 * steal / hz / wall
	}'
}

# Per-round ratios, to show how much the machine wandered.
round_ratios() {
	k=1
	while [ $k -le $ROUNDS ]; do
		printf '%s %s\n' "$(kv rps "$W/carehubd.$k.lg")" \
		    "$(kv rps "$W/bare.$k.lg")"
		k=$((k + 1))
	done | awk '{
		printf "%s%.2f", (NR > 1) ? " " : "", ($2 > 0) ? $1 / $2 : 0
	} END { printf "\n" }'
}

HZ=$(getconf CLK_TCK)
total carehubd >"$W/carehubd.total"
total bare >"$W/bare.total"
printf '%-10s %8s %8s %8s %9s %11s %9s %7s\n' server rps p50_us p99_us \
    srv_cpu% srv_us/req cli_cpu% errors
cat "$W/carehubd.total" "$W/bare.total" |
    awk '{ printf "%-10s %8d %8d %8d %9.1f %11.1f %9.1f %7d\n",
	$1, $2, $3, $4, $5, $6, $7, $8 }'

read -r _ HUB_RPS _ _ _ _ _ HUB_ERR <"$W/carehubd.total"
read -r _ BARE_RPS _ _ _ _ BARE_CLI BARE_ERR <"$W/bare.total"
[ "$HUB_ERR" -eq 0 ] ||
    echo "warning: $HUB_ERR errors against carehubd: its numbers are not valid"
[ "$BARE_ERR" -eq 0 ] ||
    echo "warning: $BARE_ERR errors against bare: its numbers are not valid"
if [ "$BARE_RPS" -lt $BARE_FLOOR ]; then
	echo "warning: bare_server at $BARE_RPS rps is below $BARE_FLOOR:" \
	    "load generator may be the bottleneck (client_cpu_pct=$BARE_CLI)"
fi
echo "per-round ratios: $(round_ratios)"
NOISE=$(machine_noise)
OTHER=${NOISE% *}
STEAL=${NOISE#* }
echo "machine: other processes used ${OTHER}% of a core, steal ${STEAL}%"
if [ "$OTHER" -gt 15 ] || [ "$STEAL" -gt 5 ]; then
	echo "warning: the machine was not quiet: repeat the run" \
	    "(the ratio between identical servers wanders 10% here)"
fi
status=0
awk -v h="$HUB_RPS" -v b="$BARE_RPS" -v t=$TARGET 'BEGIN {
	r = b > 0 ? h / b : 0
	printf "ratio=carehubd/bare = %.2f (target >= %.2f: %s)\n", r, t,
	    (r >= t) ? "met" : "NOT met"
	exit (r >= t) ? 0 : 1
}' || status=3
[ $STRICT -eq 1 ] || status=0
exit $status
