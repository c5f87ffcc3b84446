#!/bin/sh
# SPDX-License-Identifier: ISC
# test-all.sh: install what is missing, build and run every test:
#   1. gcc -Werror build: make check (unit, configuration cases,
#      integration tests against the real daemon, fuzz corpora) and the
#      repository checks (layering, sizes, docs)
#   2. make distcheck
#   3. ASan+UBSan build: make check
#   4. the unit tests under valgrind
#   5. a clang -Werror build (warnings)
# Fails if any test failed or was skipped.  Ends with "total: N passed,
# N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
jobs=$(nproc 2>/dev/null || echo 2)
out=$top/build-tests
passed=0
failed=0

stage() { printf '\n==== %s ====\n' "$*"; }

# count BUILDDIR: add its test-suite results to the totals; fail on skips
count() {
	log=$1/test-suite.log
	p=$(sed -n 's/^# PASS: *//p' "$log")
	f=$(sed -n 's/^# FAIL: *//p' "$log")
	s=$(sed -n 's/^# SKIP: *//p' "$log")
	e=$(sed -n 's/^# ERROR: *//p' "$log")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0}))
	if [ "${s:-0}" -ne 0 ]; then
		echo "test-all: $s test(s) skipped in $1; every test must run:"
		grep '^SKIP' "$log" || true
		failed=$((failed + s))
	fi
}

run_check() { # run_check BUILDDIR [make args]
	d=$1; shift
	if ! make -C "$d" -j"$jobs" check "$@"; then
		[ -f "$d/test-suite.log" ] && cat "$d/test-suite.log"
		count "$d"
		echo "total: $passed passed, $failed failed"
		exit 1
	fi
	count "$d"
}

[ "${CAREHUB_SKIP_INSTALL:-0}" = 1 ] || sh "$top/scripts/install-deps.sh"
[ -d "$shared/fhir" ] || { echo "test-all: $shared/fhir is missing"; exit 1; }
cd "$top"
autoreconf -fi
rm -rf "$out"
mkdir -p "$out"

stage "gcc build, make check"
mkdir "$out/gcc" && cd "$out/gcc"
"$top/configure" -q --with-shared="$shared" --enable-werror
make -j"$jobs"
run_check "$out/gcc"

stage "make distcheck"
make -j"$jobs" distcheck

stage "ASan + UBSan build, make check (make check-asan)"
cd "$out/gcc"
if ! make -j"$jobs" check-asan; then
	[ -f asan-build/test-suite.log ] && cat asan-build/test-suite.log
	failed=$((failed + 1))
fi
[ -f asan-build/test-suite.log ] && count "$out/gcc/asan-build"

stage "unit tests under valgrind"
cd "$out/gcc"
make -j"$jobs" check-valgrind || { cat test-suite.log; failed=$((failed + 1)); }
count "$out/gcc"

stage "clang build with -Werror"
mkdir "$out/clang" && cd "$out/clang"
"$top/configure" -q --with-shared="$shared" --enable-werror CC=clang
make -j"$jobs"

echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
