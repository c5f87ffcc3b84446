#!/bin/sh
# SPDX-License-Identifier: ISC
#
# install-deps.sh: install everything carehub needs to build, run and test on
# Debian 12 (bookworm) or Debian 13 (trixie), as root, without prompting.
#
# SQLCipher must be 4.6 (SQLite 3.46).  Bookworm's own package is 3.4.1
# (SQLite 3.15), so on bookworm this enables the bookworm-backports suite on
# the Debian mirror that apt already uses (read from the configured sources;
# no host is hard-coded) and installs libsqlcipher-dev and sqlcipher from it.
# Debian 13 ships 4.6 in its main suite.
#
# Usage: scripts/install-deps.sh [--print-sources]
#   --print-sources  print the backports source that would be written, and exit
set -eu

export DEBIAN_FRONTEND=noninteractive

die() { echo "install-deps: $*" >&2; exit 1; }

# Where apt's configuration lives (tests point this at a sample tree).
APT_ETC=${CAREHUB_APT_ETC:-/etc/apt}

codename() {
	. /etc/os-release
	echo "${VERSION_CODENAME:-}"
}

# Print "URI|SIGNED_BY" of the first configured source whose suite is exactly
# the release codename (the main archive, not -security or -updates).
find_mirror() {
	want=$1
	for f in $APT_ETC/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$want" '
		function flush() {
			if (uris != "" && ok && enabled && types ~ /(^| )deb( |$)/) {
				split(uris, u, " "); print u[1] "|" signed; found = 1; exit
			}
			uris = ""; signed = ""; ok = 0; types = ""; enabled = 1
		}
		BEGIN { enabled = 1 }
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		tolower($1) == "types:" { $1 = ""; types = $0 }
		tolower($1) == "uris:" { $1 = ""; sub(/^ +/, ""); uris = $0 }
		tolower($1) == "signed-by:" { signed = $2 }
		tolower($1) == "enabled:" && tolower($2) == "no" { enabled = 0 }
		tolower($1) == "suites:" {
			for (i = 2; i <= NF; i++) if ($i == want) ok = 1
		}
		END { if (!found) flush() }
		' "$f" | head -n 1 | grep . && return 0
	done
	for f in $APT_ETC/sources.list $APT_ETC/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk -v want="$want" '
		$1 == "deb" {
			i = 2; signed = ""
			if ($2 ~ /^\[/) {
				while (i <= NF) {
					if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); sub(/\]$/, "", s); signed = s }
					if ($i ~ /\]$/) { i++; break }
					i++
				}
			}
			if ($(i + 1) == want) { print $i "|" signed; exit }
		}' "$f" | head -n 1 | grep . && return 0
	done
	return 1
}

have_suite() {
	grep -rqsE "^[^#]*(^|[[:space:]])$1([[:space:]]|$)" \
	    "$APT_ETC/sources.list" "$APT_ETC/sources.list.d/" 2>/dev/null
}

enable_backports() {
	cn=$1
	if have_suite "$cn-backports"; then
		[ "$PRINT_ONLY" = 1 ] && echo "# $cn-backports is already configured"
		return 0
	fi
	line=$(find_mirror "$cn") || die "no configured apt source for suite '$cn'; cannot locate the Debian mirror for $cn-backports"
	uri=${line%%|*}
	signed=${line#*|}
	[ -n "$signed" ] || signed=/usr/share/keyrings/debian-archive-keyring.gpg
	src="Types: deb
URIs: $uri
Suites: $cn-backports
Components: main
Signed-By: $signed"
	if [ "$PRINT_ONLY" = 1 ]; then
		echo "$src"
		exit 0
	fi
	echo "install-deps: enabling $cn-backports from $uri"
	printf '%s\n' "$src" > "$APT_ETC/sources.list.d/carehub-backports.sources"
}

PRINT_ONLY=0
[ "${1:-}" = "--print-sources" ] && PRINT_ONLY=1

cn=${CAREHUB_CODENAME:-$(codename)}
[ "$PRINT_ONLY" = 1 ] || [ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"

PKGS="build-essential autoconf automake libtool pkg-config make gcc clang \
libevent-dev libxml2-dev libxml2-utils libssl-dev openssl uuid-dev \
libjansson-dev libcmocka-dev curl valgrind ca-certificates procps iproute2"

case "$cn" in
bookworm)
	enable_backports "$cn"
	[ "$PRINT_ONLY" = 1 ] && exit 0
	apt-get update -q
	apt-get install -y -q --no-install-recommends $PKGS
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
	    libsqlcipher-dev sqlcipher
	;;
*)
	[ "$PRINT_ONLY" = 1 ] && { echo "# $cn: no backports needed"; exit 0; }
	apt-get update -q
	apt-get install -y -q --no-install-recommends $PKGS libsqlcipher-dev sqlcipher
	;;
esac

v=$(pkg-config --modversion sqlcipher 2>/dev/null || echo none)
case "$v" in
3.4[6-9]*|3.[5-9]*) ;;
*) die "sqlcipher.pc reports SQLite $v; carehub needs SQLCipher 4.6 (SQLite >= 3.46)" ;;
esac
echo "install-deps: ready (SQLCipher on SQLite $v)"
