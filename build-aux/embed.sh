#!/bin/sh
# SPDX-License-Identifier: ISC
# embed.sh NAME FILE: print a C source defining `const char NAME[]` holding
# FILE's bytes, NUL-terminated, so data files can be compiled into binaries.
set -eu
name=$1
file=$2
echo "/* generated from $(basename "$file") by embed.sh: do not edit */"
echo "extern const char $name[];"
echo "const char $name[] = {"
od -An -v -t x1 "$file" | awk '{ s = "\t"; for (i = 1; i <= NF; i++) s = s "0x" $i ", "; sub(/ $/, "", s); print s }'
echo "	0x00"
echo "};"
