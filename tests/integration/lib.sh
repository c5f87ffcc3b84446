# SPDX-License-Identifier: ISC
# lib.sh: shared helpers for the integration tests.  Sourced, not run.
#
# Every test gets its own temporary directory ($T) holding a demo setup
# made by `carehubctl demo-init` on a random free port, starts the real
# carehubd on 127.0.0.1 in the foreground, drives it with curl and
# openssl s_client, and stops it.  Exit codes: 0 pass, 1 fail, 77 skip.

set -u
B=${CAREHUB_BUILDDIR:?CAREHUB_BUILDDIR must name the build directory}
S=${CAREHUB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CAREHUBD=$B/carehubd
CAREHUBCTL=$B/carehubctl
T=$(mktemp -d "${TMPDIR:-/tmp}/carehub-it.XXXXXX")
chmod 0755 "$T"
PID=
NFAIL=0
NPASS=0

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID" 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

for tool in curl openssl; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool not installed"; exit 77; }
done

pass() { NPASS=$((NPASS + 1)); echo "ok - $*"; }
fail() { NFAIL=$((NFAIL + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
finish() {
	echo "$NPASS passed, $NFAIL failed"
	[ "$NFAIL" -eq 0 ]
	exit $?
}

random_port() { # a random port nothing listens on now
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		command -v ss >/dev/null 2>&1 || { echo $p; return; }
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo $p; return; }
	done
}

# demo_init [DIR]: a demo setup on a random port, environment loaded.
demo_init() {
	D=${1:-$T/demo}
	"$CAREHUBCTL" demo-init "$D" --port "$(random_port)" >"$T/demo-init.log" 2>&1 ||
	    { cat "$T/demo-init.log"; echo "demo-init failed"; exit 1; }
	. "$D/demo.env"
	PORT=${CAREHUB_URL##*:}
}

# start_daemon [CONF]: start carehubd in the background, log in $T/d.log,
# wait until /healthz answers.  Retries on another port if ours is taken.
start_daemon() {
	conf=${1:-$CAREHUB_CONF}
	: >"$T/d.log"
	"$CAREHUBD" -f "$conf" >>"$T/d.log" 2>&1 &
	PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if gp_curl -o /dev/null "$CAREHUB_URL/healthz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q 'Address already in use' "$T/d.log" && [ "${RETRY:-0}" -lt 5 ]; then
		# somebody took our port meanwhile: move this configuration
		np=$(random_port)
		sed -i "s|port=\"$PORT\"|port=\"$np\"|" "$conf"
		[ "$conf" = "$CAREHUB_CONF" ] || sed -i "s|port=\"$PORT\"|port=\"$np\"|" "$CAREHUB_CONF"
		PORT=$np
		CAREHUB_URL=https://127.0.0.1:$PORT
		RETRY=$((${RETRY:-0} + 1)) start_daemon "$conf"
		return
	fi
	echo "carehubd did not start:"; cat "$T/d.log"
	exit 1
}

# stop_daemon: SIGTERM, wait, return carehubd's exit status.
stop_daemon() {
	kill -TERM "$PID"
	wait "$PID"
	st=$?
	PID=
	return $st
}

# curl as a demo system: gp_curl, acute_curl, mdt_curl, ig_curl.
sys_curl() {
	who=$1; shift
	eval cert=\$CAREHUB_${who}_CERT key=\$CAREHUB_${who}_KEY
	curl -sS --max-time 20 --cacert "$CAREHUB_CA" --cert "$cert" --key "$key" -f "$@"
}
gp_curl() { sys_curl GP "$@"; }
ig_curl() { sys_curl IG "$@"; }
mdt_curl() { sys_curl MDT "$@"; }

# status_of URL [curl args]: print the HTTP status as the GP system.
status_of() {
	url=$1; shift
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time 20 \
	    --cacert "$CAREHUB_CA" --cert "$CAREHUB_GP_CERT" --key "$CAREHUB_GP_KEY" \
	    "$@" "$url"
}

# s_client_request ARGS...: send a GET /healthz with openssl s_client
# using ARGS; print whatever came back (nothing if refused).
s_client_request() {
	printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -quiet \
	    "$@" 2>/dev/null
}

have_shared() {
	[ -n "${CAREHUB_SHARED:-}" ] && [ -d "$CAREHUB_SHARED/fhir" ]
}
