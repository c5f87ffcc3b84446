#!/bin/sh
# SPDX-License-Identifier: ISC
# timeout-driver.sh PROGRAM [ARGS]: run a test, killing it after
# CAREHUB_TEST_TIMEOUT seconds (default 300); exit codes pass through, so
# 77 still means skipped.
t=${CAREHUB_TEST_TIMEOUT:-300}
case "$1" in
*.sh) exec timeout -k 10 "$t" /bin/sh "$@" ;;
*) exec timeout -k 10 "$t" "$@" ;;
esac
