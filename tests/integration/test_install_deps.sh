#!/bin/sh
# SPDX-License-Identifier: ISC
# test_install_deps.sh: scripts/install-deps.sh finds the Debian mirror in
# the apt sources already configured (deb822 or one-line format, never a
# hard-coded host) and adds bookworm-backports on it.  Runs the script's
# --print-sources mode against sample apt trees.
set -u
S=${CAREHUB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/carehub-deps.XXXXXX")
trap 'rm -rf "$T"' EXIT
NPASS=0
NFAIL=0
check() { d=$1; shift; if "$@"; then NPASS=$((NPASS + 1)); echo "ok - $d";
	else NFAIL=$((NFAIL + 1)); echo "FAIL - $d"; fi; }
run() { # run TREE: print what the script would add for bookworm
	CAREHUB_APT_ETC=$T/$1 CAREHUB_CODENAME=bookworm \
	    sh "$S/scripts/install-deps.sh" --print-sources 2>&1
}

mkdir -p "$T/a/sources.list.d"
cat >"$T/a/sources.list.d/debian.sources" <<'EOT'
Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
run a >"$T/out"
check "deb822: mirror of the bookworm suite used" grep -q '^URIs: http://mirror.example.org/debian$' "$T/out"
check "deb822: backports suite" grep -q '^Suites: bookworm-backports$' "$T/out"
check "deb822: keyring kept" grep -q '^Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg$' "$T/out"
check "deb822: security mirror not used" sh -c "! grep -q security '$T/out'"

mkdir -p "$T/b/sources.list.d"
cat >"$T/b/sources.list" <<'EOT'
# a comment
deb http://security.example.net/debian-security bookworm-security main
deb [arch=amd64 signed-by=/etc/apt/keyrings/local.gpg] https://local.example.net/debian bookworm main contrib
EOT
run b >"$T/out"
check "one-line: mirror with options used" grep -q '^URIs: https://local.example.net/debian$' "$T/out"
check "one-line: signed-by carried over" grep -q '^Signed-By: /etc/apt/keyrings/local.gpg$' "$T/out"

mkdir -p "$T/c/sources.list.d"
cat >"$T/c/sources.list.d/x.sources" <<'EOT'
Types: deb
URIs: http://disabled.example.org/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main
EOT
run c >"$T/out"
check "no usable bookworm source: clear error" grep -q "no configured apt source for suite 'bookworm'" "$T/out"

mkdir -p "$T/d/sources.list.d"
cp "$T/a/sources.list.d/debian.sources" "$T/d/sources.list.d/"
printf 'deb http://mirror.example.org/debian bookworm-backports main\n' >"$T/d/sources.list"
run d >"$T/out"
check "backports already configured: nothing added" grep -q 'already configured' "$T/out"
check "print mode installs nothing" sh -c "! grep -q 'apt\|Reading package' '$T/out'"

echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
