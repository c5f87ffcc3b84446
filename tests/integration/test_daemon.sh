#!/bin/sh
# SPDX-License-Identifier: ISC
# test_daemon.sh: carehubd as a process: flags, configuration check,
# readiness notifications, core dumps off, privilege drop, control socket,
# database errors at start-up, the connection cap and graceful shutdown.
. "$(dirname "$0")/lib.sh"

demo_init

# -V and -t
check "-V prints the version" sh -c "'$CAREHUBD' -V | grep -q '^carehubd [0-9]'"
check "-t accepts the demo configuration" "$CAREHUBD" -t -f "$CAREHUB_CONF"
sed 's|<listen |<listener |' "$CAREHUB_CONF" >"$T/bad.conf"
"$CAREHUBD" -t -f "$T/bad.conf" >"$T/out" 2>&1
check "-t exits 1 on a bad configuration" [ $? -eq 1 ]
check "-t names file, line and element" grep -Eq "^$T/bad.conf:[0-9]+: element <listener>: " "$T/out"
sed 's|<max-connections>[0-9]*<|<max-connections>many<|' "$CAREHUB_CONF" >"$T/bad2.conf"
"$CAREHUBD" -t -f "$T/bad2.conf" >"$T/out" 2>&1
check "-t rejects a bad value, naming the element" grep -q "element <max-connections>" "$T/out"
sed "s|$CAREHUB_SERVER_CERT|$T/missing.crt|" "$CAREHUB_CONF" >"$T/bad3.conf"
"$CAREHUBD" -t -f "$T/bad3.conf" >"$T/out" 2>&1
check "-t loads the TLS files too" grep -q "missing.crt" "$T/out"
"$CAREHUBD" -f "$T/bad.conf" >"$T/out" 2>&1
check "start refused on a bad configuration" [ $? -ne 0 ]

# start with readiness notification; check the process
NOTIFY_SOCKET=$T/notify; export NOTIFY_SOCKET
"$B/tests/integration/notify_recv" "$NOTIFY_SOCKET" 30 >"$T/notify.out" &
NPID=$!
sleep 0.3
start_daemon
unset NOTIFY_SOCKET
check "READY=1 sent" grep -q 'READY=1' "$T/notify.out"
check "core dumps off (RLIMIT_CORE 0)" grep -Eq '^Max core file size +0 +0 ' "/proc/$PID/limits"

# control socket
check "control socket is mode 0600" [ "$(stat -c %a "$CAREHUB_CTL_SOCKET")" = 600 ]
"$CAREHUBCTL" -f "$CAREHUB_CONF" status >"$T/out" 2>&1
check "carehubctl status talks to the daemon" grep -q '^status=running' "$T/out"
check "status reports the cipher" grep -q '^cipher=4\.' "$T/out"

# a second daemon must not take over the control socket of a live one
sed "s|port=\"$PORT\"|port=\"$(random_port)\"|" "$CAREHUB_CONF" >"$T/second.conf"
"$CAREHUBD" -f "$T/second.conf" >"$T/out" 2>&1
check "second daemon on the same control socket refused" [ $? -ne 0 ]
check "second daemon says why" grep -q 'control socket .* is in use' "$T/out"
"$CAREHUBCTL" -f "$CAREHUB_CONF" status >"$T/out" 2>&1
check "first daemon still owns its control socket" grep -q '^status=running' "$T/out"

# reload notifications
kill -HUP "$PID"; sleep 0.5
check "RELOADING=1 sent on SIGHUP" grep -q 'RELOADING=1 MONOTONIC_USEC=[0-9]' "$T/notify.out"

# rekey refused while the daemon runs
"$CAREHUBCTL" -f "$CAREHUB_CONF" db rekey >"$T/out" 2>&1
check "db rekey refused while carehubd runs" [ $? -ne 0 ]
check "db rekey says why" grep -qi 'running' "$T/out"

# a request in flight at SIGTERM completes
head -c 60000 /dev/zero >"$T/slow"
curl -s -o "$T/slow.out" -w '%{http_code}' --max-time 30 --limit-rate 20k \
    --cacert "$CAREHUB_CA" --cert "$CAREHUB_GP_CERT" --key "$CAREHUB_GP_KEY" \
    -X GET --data-binary @"$T/slow" -H 'Expect:' "$CAREHUB_URL/healthz" >"$T/slow.code" &
CPID=$!
# an idle keep-alive connection must not hold up the shutdown
(sleep 20 | openssl s_client -connect "127.0.0.1:$PORT" -quiet \
    -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" \
    >/dev/null 2>&1) &
# a carehubctl connected when shutdown starts and writing after it
"$B/tests/integration/unix_send" "$CAREHUB_CTL_SOCKET" 1500 status >"$T/ctl.out" 2>&1 &
UPID=$!
sleep 1
t0=$(date +%s)
kill -TERM "$PID"
wait "$PID"; st=$?
t1=$(date +%s)
PID=
wait "$CPID"
wait "$UPID"
check "SIGTERM: exit 0" [ "$st" = 0 ]
check "control client connected before the shutdown" grep -q connected "$T/ctl.out"
check "SIGTERM: exit within 10 s ($((t1 - t0)) s)" [ $((t1 - t0)) -le 10 ]
check "request in flight at SIGTERM completed with 200" [ "$(cat "$T/slow.code")" = 200 ]
check "STOPPING=1 sent" grep -q 'STOPPING=1' "$T/notify.out"
check "control socket removed" [ ! -e "$CAREHUB_CTL_SOCKET" ]
wait "$NPID" 2>/dev/null
"$CAREHUBCTL" -f "$CAREHUB_CONF" status >"$T/out" 2>&1
check "status says not running" grep -q 'not running' "$T/out"

# database errors at start-up: never a fresh empty database
mv "$CAREHUB_DB" "$T/saved.db"
"$CAREHUBD" -f "$CAREHUB_CONF" >"$T/out" 2>&1
check "missing database: non-zero exit" [ $? -ne 0 ]
check "missing database: no file created" [ ! -e "$CAREHUB_DB" ]
check "missing database: clear error" grep -q 'does not exist' "$T/out"
mv "$T/saved.db" "$CAREHUB_DB"
cp "$CAREHUB_DB_KEY" "$T/key.saved"
chmod 600 "$CAREHUB_DB_KEY"
openssl rand -hex 32 >"$CAREHUB_DB_KEY"
"$CAREHUBD" -f "$CAREHUB_CONF" >"$T/out" 2>&1
check "wrong key: non-zero exit" [ $? -ne 0 ]
check "wrong key: clear error" grep -qi 'key' "$T/out"
check "wrong key: the key is not logged" sh -c "! grep -q '$(cat "$CAREHUB_DB_KEY")' '$T/out'"
cp "$T/key.saved" "$CAREHUB_DB_KEY"
chmod 644 "$CAREHUB_DB_KEY"
"$CAREHUBD" -f "$CAREHUB_CONF" >"$T/out" 2>&1
check "key file readable by others: refused" [ $? -ne 0 ]
check "key file mode: reason given" grep -q 'group or others' "$T/out"
chmod 600 "$CAREHUB_DB_KEY"

# connection cap: the listener pauses at the limit
sed 's|<max-connections>[0-9]*<|<max-connections>2<|' "$CAREHUB_CONF" >"$T/cap.conf"
start_daemon "$T/cap.conf"
for i in 1 2; do
	(sleep 6 | openssl s_client -connect "127.0.0.1:$PORT" -quiet -no_ign_eof \
	    -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" \
	    >/dev/null 2>&1) &
done
sleep 1.5
st=$(status_of "$CAREHUB_URL/healthz" --max-time 2)
check "third connection waits while two are open ($st)" [ "$st" = 000 ]
check "limit logged" grep -q 'connection limit reached' "$T/d.log"
sleep 6
st=$(status_of "$CAREHUB_URL/healthz" --max-time 5)
check "accepting again once connections close ($st)" [ "$st" = 200 ]
check "clean exit" stop_daemon

# privilege drop: started as root with <user>, runs and opens the DB as it
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	sed 's|</control-socket>|</control-socket>\n  <user>nobody</user>|' "$CAREHUB_CONF" >"$D/user.conf"
	chown -R nobody "$D"
	chown root "$CAREHUB_SERVER_KEY" "$CAREHUB_DB_KEY"
	chmod 600 "$CAREHUB_SERVER_KEY"
	start_daemon "$D/user.conf"
	check "runs as nobody" [ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' /proc/$PID/status)" = \
	    "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ]
	check "database -wal file belongs to nobody" [ "$(stat -c %U "$CAREHUB_DB-wal")" = nobody ]
	check "still not dumpable after the switch" grep -Eq '^Max core file size +0 +0 ' "/proc/$PID/limits"
	check "clean exit" stop_daemon
else
	echo "note: privilege drop not tested (not root)"
fi
finish
