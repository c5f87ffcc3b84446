#!/bin/sh
# SPDX-License-Identifier: ISC
# valgrind-driver.sh PROGRAM: run a unit test under valgrind; any memory
# error or definite leak fails it.
exec timeout -k 10 600 valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-origins=yes "$@"
