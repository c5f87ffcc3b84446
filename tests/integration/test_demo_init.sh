#!/bin/sh
# SPDX-License-Identifier: ISC
#
# test_demo_init.sh: `carehubctl demo-init` writes a complete, working demo.
#
# Runs demo-init into a new temporary directory with a random port, then
# checks every file and its mode, that demo.env exports every variable and
# each path exists, that the configuration passes `carehubctl check` (and
# the schema), that `db check` passes and a wrong key fails it, that the
# certificates verify against the demo CA for their purposes (server: for
# 127.0.0.1 and localhost), that the configured fingerprints are the client
# certificates', that a second demo-init into the same directory is
# refused without touching it, and that `db rekey` leaves a database that
# `db check` accepts with the new key.  Keys must never be printed.
#
# Environment: CAREHUB_BUILDDIR (the build directory holding carehubctl).
# Exit 0 pass, 1 fail, 77 skip (no carehubctl or no openssl tool).
set -u

builddir=${CAREHUB_BUILDDIR:-.}
ctl=$builddir/carehubctl
if [ ! -x "$ctl" ]; then
	echo "SKIP: $ctl not built"
	exit 77
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: the openssl command-line tool is not installed"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_demo_init.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dir=$tmp/demo
out=$tmp/out
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect_status WANT DESCRIPTION COMMAND...: run, keep output in $out.
expect_status() {
	want=$1
	what=$2
	shift 2
	"$@" >"$out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$what: exit $got, want $want"
		sed 's/^/  | /' "$out"
	fi
}

# mode_of FILE: the ls(1) mode string, e.g. -rw-------.
mode_of() {
	ls -ld "$1" | cut -c1-10
}

port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))

# --- demo-init ------------------------------------------------------------
expect_status 0 "demo-init" "$ctl" demo-init "$dir" --port "$port"
cp "$out" "$tmp/demo-init.out"
[ -d "$dir" ] || { echo "FAIL: demo-init did not create $dir"; exit 1; }
[ "$(mode_of "$dir")" = drwx------ ] ||
    fail "$dir: mode $(mode_of "$dir"), want drwx------"

for f in ca.key server.key gp.key acute.key mdt.key ig.key hub.key \
    receiver.key db.key carehub.db; do
	if [ ! -f "$dir/$f" ]; then
		fail "$f missing"
	elif [ "$(mode_of "$dir/$f")" != -rw------- ]; then
		fail "$f: mode $(mode_of "$dir/$f"), want -rw-------"
	fi
done
for f in ca.crt server.crt gp.crt acute.crt mdt.crt ig.crt hub.crt \
    receiver.crt carehub.conf demo.env; do
	if [ ! -f "$dir/$f" ]; then
		fail "$f missing"
	elif [ "$(mode_of "$dir/$f")" != -rw-r--r-- ]; then
		fail "$f: mode $(mode_of "$dir/$f"), want -rw-r--r--"
	fi
done
for f in "$dir"/*.key; do
	[ "$(basename "$f")" = db.key ] && continue
	head -n 1 "$f" | grep -qx -- '-----BEGIN PRIVATE KEY-----' ||
	    fail "$(basename "$f") is not a PKCS#8 PEM key"
done
leftover=$(ls "$dir" | grep '\.tmp$')
[ -z "$leftover" ] || fail "temporary files left: $leftover"

# --- demo.env -------------------------------------------------------------
vars="CAREHUB_URL CAREHUB_CONF CAREHUB_DB CAREHUB_DB_KEY CAREHUB_CA
CAREHUB_SERVER_CERT CAREHUB_SERVER_KEY
CAREHUB_GP_CERT CAREHUB_GP_KEY CAREHUB_GP_ODS
CAREHUB_ACUTE_CERT CAREHUB_ACUTE_KEY CAREHUB_ACUTE_ODS
CAREHUB_MDT_CERT CAREHUB_MDT_KEY CAREHUB_MDT_ODS
CAREHUB_IG_CERT CAREHUB_IG_KEY CAREHUB_IG_ODS
CAREHUB_HUB_CERT CAREHUB_HUB_KEY CAREHUB_RECEIVER_CERT CAREHUB_RECEIVER_KEY
CAREHUB_CTL_SOCKET"
exported=$(sed -n 's/^export \([A-Z_]*\)=.*/\1/p' "$dir/demo.env" | sort)
wanted=$(echo $vars | tr ' ' '\n' | sort)
[ "$exported" = "$wanted" ] ||
    fail "demo.env exports $(echo $exported), want $(echo $wanted)"
grep -v -e '^#' -e '^export CAREHUB_[A-Z_]*=' "$dir/demo.env" >"$out" &&
    fail "demo.env has other lines: $(cat "$out")"

. "$dir/demo.env"
for v in $vars; do
	eval "val=\${$v:-}"
	case $v in
	CAREHUB_URL)
		[ "$val" = "https://127.0.0.1:$port" ] ||
		    fail "$v=$val, want https://127.0.0.1:$port" ;;
	*_ODS) [ -n "$val" ] || fail "$v is not set" ;;
	CAREHUB_CTL_SOCKET)
		[ "$val" = "$dir/carehubd.sock" ] ||
		    fail "$v=$val, want $dir/carehubd.sock" ;;
	*)
		case $val in
		/*) [ -f "$val" ] || fail "$v=$val: no such file" ;;
		*) fail "$v=$val: not an absolute path" ;;
		esac ;;
	esac
done
if [ "$failures" -ne 0 ]; then
	echo "FAIL: demo.env is incomplete; not going on"
	exit 1
fi
[ "$CAREHUB_GP_ODS" = A99901 ] || fail "CAREHUB_GP_ODS=$CAREHUB_GP_ODS"
[ "$CAREHUB_ACUTE_ODS" = R9Z ] || fail "CAREHUB_ACUTE_ODS=$CAREHUB_ACUTE_ODS"
[ "$CAREHUB_MDT_ODS" = R9Y ] || fail "CAREHUB_MDT_ODS=$CAREHUB_MDT_ODS"
[ "$CAREHUB_IG_ODS" = Q99 ] || fail "CAREHUB_IG_ODS=$CAREHUB_IG_ODS"

# --- configuration --------------------------------------------------------
expect_status 0 "check" "$ctl" -f "$CAREHUB_CONF" check
grep -qxF "$CAREHUB_CONF: ok" "$out" || fail "check printed: $(cat "$out")"
if command -v xmllint >/dev/null 2>&1 && [ -n "${CAREHUB_SRCDIR:-}" ]; then
	expect_status 0 "schema" xmllint --noout --schema \
	    "$CAREHUB_SRCDIR/schemas/carehub-conf.xsd" "$CAREHUB_CONF"
fi
grep -q "<listen address=\"127.0.0.1\" port=\"$port\"/>" "$CAREHUB_CONF" ||
    fail "carehub.conf does not listen on 127.0.0.1:$port"
grep -q "<control-socket>$dir/carehubd.sock</control-socket>" \
    "$CAREHUB_CONF" || fail "carehub.conf: wrong control socket"
for s in GP ACUTE MDT IG; do
	eval "crt=\$CAREHUB_${s}_CERT"
	fp=$(openssl x509 -noout -fingerprint -sha256 -in "$crt" |
	    sed 's/.*=//')
	grep -q "fingerprint=\"sha256:$fp\"" "$CAREHUB_CONF" ||
	    fail "carehub.conf lacks the fingerprint of $crt ($fp)"
done
n=$(grep -c 'url="https://127.0.0.1:\*/"' "$CAREHUB_CONF")
[ "$n" -eq 4 ] || fail "$n systems may deliver to https://127.0.0.1:*/, want 4"

# --- certificates ---------------------------------------------------------
for c in "$CAREHUB_GP_CERT" "$CAREHUB_ACUTE_CERT" "$CAREHUB_MDT_CERT" \
    "$CAREHUB_IG_CERT" "$CAREHUB_HUB_CERT"; do
	expect_status 0 "verify client $c" openssl verify \
	    -CAfile "$CAREHUB_CA" -purpose sslclient "$c"
	expect_status 2 "$c used as a server certificate" openssl verify \
	    -CAfile "$CAREHUB_CA" -purpose sslserver "$c"
done
for c in "$CAREHUB_SERVER_CERT" "$CAREHUB_RECEIVER_CERT"; do
	expect_status 0 "verify server $c for 127.0.0.1" openssl verify \
	    -CAfile "$CAREHUB_CA" -purpose sslserver -verify_ip 127.0.0.1 "$c"
	expect_status 0 "verify server $c for localhost" openssl verify \
	    -CAfile "$CAREHUB_CA" -purpose sslserver \
	    -verify_hostname localhost "$c"
	expect_status 2 "verify server $c for 10.0.0.1" openssl verify \
	    -CAfile "$CAREHUB_CA" -verify_ip 10.0.0.1 "$c"
done
openssl x509 -noout -subject -nameopt RFC2253 -in "$CAREHUB_GP_CERT" |
    grep -qx 'subject=CN=gp-practice-system,O=A99901' ||
    fail "gp.crt subject: $(openssl x509 -noout -subject \
    -in "$CAREHUB_GP_CERT")"
openssl x509 -noout -subject -nameopt RFC2253 -in "$CAREHUB_HUB_CERT" |
    grep -q 'subject=CN=carehubd' || fail "hub.crt subject is not CN=carehubd"
for pair in SERVER GP ACUTE MDT IG HUB RECEIVER; do
	eval "crt=\$CAREHUB_${pair}_CERT key=\$CAREHUB_${pair}_KEY"
	a=$(openssl x509 -noout -pubkey -in "$crt")
	b=$(openssl pkey -pubout -in "$key")
	[ "$a" = "$b" ] || fail "$key does not match $crt"
done

# --- database -------------------------------------------------------------
expect_status 0 "db check" "$ctl" -f "$CAREHUB_CONF" db check
grep -qx "$CAREHUB_DB: ok" "$out" || fail "db check printed: $(cat "$out")"
cat "$out" >>"$tmp/all.out"

good_key=$tmp/good.key
cp -p "$CAREHUB_DB_KEY" "$good_key"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$CAREHUB_DB_KEY"
echo >>"$CAREHUB_DB_KEY"
chmod 600 "$CAREHUB_DB_KEY"
expect_status 1 "db check with a wrong key" "$ctl" -f "$CAREHUB_CONF" db check
cp -p "$good_key" "$CAREHUB_DB_KEY"

expect_status 0 "db rekey" "$ctl" -f "$CAREHUB_CONF" db rekey
cat "$out" >>"$tmp/all.out"
cmp -s "$good_key" "$CAREHUB_DB_KEY" && fail "db rekey left the key unchanged"
[ "$(mode_of "$CAREHUB_DB_KEY")" = -rw------- ] ||
    fail "db.key after rekey: mode $(mode_of "$CAREHUB_DB_KEY")"
expect_status 0 "db check after rekey" "$ctl" -f "$CAREHUB_CONF" db check
cat "$out" >>"$tmp/all.out"
cp -p "$CAREHUB_DB_KEY" "$tmp/rekeyed.key"
cp -p "$good_key" "$CAREHUB_DB_KEY"
expect_status 1 "db check with the key from before rekey" \
    "$ctl" -f "$CAREHUB_CONF" db check
cp -p "$tmp/rekeyed.key" "$CAREHUB_DB_KEY"
expect_status 1 "db init over an existing database" \
    "$ctl" -f "$CAREHUB_CONF" db init

# Keys never reach the output.
for k in "$good_key" "$CAREHUB_DB_KEY"; do
	hex=$(tr -d '\n' <"$k")
	grep -qF "$hex" "$tmp/all.out" "$tmp/demo-init.out" &&
	    fail "a database key was printed"
done

# --- refusals and status --------------------------------------------------
sum_before=$(cat "$dir"/*.crt "$CAREHUB_CONF" | cksum)
expect_status 1 "second demo-init into $dir" "$ctl" demo-init "$dir"
grep -q "already holds a demo" "$out" || fail "second demo-init: $(cat "$out")"
[ "$(cat "$dir"/*.crt "$CAREHUB_CONF" | cksum)" = "$sum_before" ] ||
    fail "second demo-init changed the demo"

mkdir "$tmp/partial" && echo keep >"$tmp/partial/ca.key"
expect_status 1 "demo-init over a stray ca.key" "$ctl" demo-init "$tmp/partial"
[ "$(cat "$tmp/partial/ca.key")" = keep ] || fail "demo-init overwrote ca.key"
[ "$(ls "$tmp/partial")" = ca.key ] || fail "refused demo-init left files"

expect_status 2 "demo-init --port 0" "$ctl" demo-init "$tmp/p0" --port 0
[ -e "$tmp/p0" ] && fail "demo-init with a bad port created its directory"
expect_status 2 "demo-init without a directory" "$ctl" demo-init
expect_status 2 "unknown command" "$ctl" frobnicate
expect_status 2 "db without a subcommand" "$ctl" -f "$CAREHUB_CONF" db

expect_status 1 "status without carehubd" "$ctl" -f "$CAREHUB_CONF" status
grep -q "^carehubd is not running (control socket $dir/carehubd.sock: " \
    "$out" || fail "status printed: $(cat "$out")"

# --- a directory name that needs shell quoting ----------------------------
qdir="$tmp/it's \$HOME"
expect_status 1 "demo-init into a path with a space" "$ctl" demo-init "$qdir"
[ -e "$qdir" ] && fail "refused demo-init left $qdir behind"
qdir="$tmp/it's;\$HOME"
expect_status 0 "demo-init into $qdir" "$ctl" demo-init "$qdir" --port=8443
( . "$qdir/demo.env" && [ "$CAREHUB_CONF" = "$qdir/carehub.conf" ] &&
    [ "$CAREHUB_URL" = https://127.0.0.1:8443 ] ) ||
    fail "demo.env in $qdir does not quote its paths"
expect_status 0 "check in $qdir" "$ctl" -f "$qdir/carehub.conf" check

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "PASS: demo-init"
exit 0
