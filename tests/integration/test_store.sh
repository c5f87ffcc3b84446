#!/bin/sh
# SPDX-License-Identifier: ISC
# test_store.sh: the encrypted store as seen from outside: no plaintext in
# the database files, readiness depends on the database, and rekeying
# with carehubctl leaves a database the daemon opens.
. "$(dirname "$0")/lib.sh"

demo_init
start_daemon
check "readyz ready" [ "$(status_of "$CAREHUB_URL/readyz")" = 200 ]
check "database file has no SQLite plaintext header" sh -c "! head -c 16 '$CAREHUB_DB' | grep -q 'SQLite format'"
for f in "$CAREHUB_DB" "$CAREHUB_DB-wal" "$CAREHUB_DB-shm"; do
	[ -e "$f" ] || continue
	check "no plaintext schema in $(basename "$f")" sh -c "! grep -aq 'CREATE TABLE' '$f'"
done
check "clean exit" stop_daemon

# low free disk makes the daemon not ready
sed 's|<min-free-disk-mb>[0-9]*<|<min-free-disk-mb>10000000<|' "$CAREHUB_CONF" >"$T/disk.conf"
start_daemon "$T/disk.conf"
check "readyz 503 when free disk is low" [ "$(status_of "$CAREHUB_URL/readyz")" = 503 ]
check "readyz says why" grep -q '"disk":"low"' "$T/body"
check "clean exit" stop_daemon

# rekey while stopped, then the daemon opens the database with the new key
old=$(cat "$CAREHUB_DB_KEY")
check "db rekey" "$CAREHUBCTL" -f "$CAREHUB_CONF" db rekey
check "key changed" [ "$(cat "$CAREHUB_DB_KEY")" != "$old" ]
check "key file still 0600" [ "$(stat -c %a "$CAREHUB_DB_KEY")" = 600 ]
check "db check after rekey" "$CAREHUBCTL" -f "$CAREHUB_CONF" db check
start_daemon
check "daemon ready with the new key" [ "$(status_of "$CAREHUB_URL/readyz")" = 200 ]
check "clean exit" stop_daemon
finish
