#!/bin/sh
# SPDX-License-Identifier: ISC
# build.sh [BUILDDIR [CONFIGURE ARGS...]]: generate the build system if
# needed, configure out of tree in BUILDDIR (default: build) and make.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$top/build}
[ $# -gt 0 ] && shift
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
mkdir -p "$bdir"
cd "$bdir"
if [ ! -f Makefile ]; then
	"$top/configure" --with-shared="$(cd "$top/.." && pwd)/shared" "$@"
fi
make -j"$(nproc 2>/dev/null || echo 2)"
