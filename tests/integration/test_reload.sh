#!/bin/sh
# SPDX-License-Identifier: ISC
# test_reload.sh: SIGHUP builds the new configuration and TLS context and
# swaps only if both are good.  A system removed by a reload is refused
# even on a connection it already has open; a bad configuration or a
# change that needs a restart leaves the running one in place.
. "$(dirname "$0")/lib.sh"

demo_init
start_daemon

# drop_system NAME IN OUT: the configuration without one system
drop_system() {
	awk -v n="name=\"$1\"" '
	index($0, "<system ") && index($0, n) { skip = 1 }
	!skip { print }
	skip && index($0, "</system>") { skip = 0 }' "$2" >"$3"
}
wait_log() { # wait_log PATTERN
	i=0
	while [ $i -lt 50 ]; do
		grep -q "$1" "$T/d.log" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
req='GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
answers() { grep -c '^HTTP/1.1 200' "$T/conn.out"; }

# a keep-alive connection as the GP system; once carehubd closes it, our
# writes into the pipe must fail quietly rather than kill the test
trap '' PIPE
mkfifo "$T/in"
openssl s_client -connect "127.0.0.1:$PORT" -quiet -CAfile "$CAREHUB_CA" \
    -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" <"$T/in" >"$T/conn.out" 2>/dev/null &
SPID=$!
exec 3>"$T/in"
printf "$req" >&3
sleep 1
check "first request on the open connection answered" [ "$(answers)" = 1 ]

# remove the GP system and reload
cp "$CAREHUB_CONF" "$T/orig.conf"
drop_system gp-practice-system "$T/orig.conf" "$CAREHUB_CONF"
check "GP system removed from the copy" sh -c "! grep -q gp-practice-system '$CAREHUB_CONF'"
kill -HUP "$PID"
check "reload logged" wait_log 'configuration reloaded'
# a method libevent answers by itself (501) must get nothing either
printf 'TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&3 2>/dev/null
printf "$req" >&3 2>/dev/null
sleep 1
check "removed system gets no answer on its open connection" \
    [ "$(grep -c '^HTTP/1.1 ' "$T/conn.out")" = 1 ]
check "its connection closed at the reload" grep -q 'system removed by reload: closing' "$T/d.log"
exec 3>&-
kill "$SPID" 2>/dev/null
s_client_request -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "removed system refused on a new connection" sh -c "! grep -q '^HTTP/1.1' '$T/out'"
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CAREHUB_CA" \
    --cert "$CAREHUB_ACUTE_CERT" --key "$CAREHUB_ACUTE_KEY" "$CAREHUB_URL/healthz")
check "other systems still served" [ "$st" = 200 ]

# a broken configuration: reload fails, old one kept
printf '<carehub xmlns="urn:carehub:conf:1"><oops/></carehub>\n' >"$CAREHUB_CONF"
kill -HUP "$PID"
check "bad reload logged with the reason" wait_log 'reload failed.*element <oops>'
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CAREHUB_CA" \
    --cert "$CAREHUB_ACUTE_CERT" --key "$CAREHUB_ACUTE_KEY" "$CAREHUB_URL/healthz")
check "still serving after a failed reload" [ "$st" = 200 ]

# a missing TLS key: the new context cannot be built, old one kept
sed "s|$CAREHUB_SERVER_KEY|$T/nokey.pem|" "$T/orig.conf" >"$CAREHUB_CONF"
kill -HUP "$PID"
check "TLS failure on reload logged" wait_log 'reload failed.*nokey.pem'

# a listener change needs a restart
sed "s|port=\"$PORT\"|port=\"1\"|" "$T/orig.conf" >"$CAREHUB_CONF"
kill -HUP "$PID"
check "listener change refused until restart" wait_log 'listen changed, which needs a restart'

# the control socket's reload command reports the outcome
"$B/tests/integration/unix_send" "$CAREHUB_CTL_SOCKET" 0 reload >"$T/out" 2>&1
check "control socket reload of a bad file reports the failure" \
    grep -q '^error reload failed' "$T/out"

# restoring the GP system lets it back in
cp "$T/orig.conf" "$CAREHUB_CONF"
"$B/tests/integration/unix_send" "$CAREHUB_CTL_SOCKET" 0 reload >"$T/out" 2>&1
check "control socket reload succeeds" grep -q '^ok$' "$T/out"
check "restored system served again" [ "$(status_of "$CAREHUB_URL/healthz")" = 200 ]
check "daemon alive after all reloads" kill -0 "$PID"
check "clean exit" stop_daemon
finish
