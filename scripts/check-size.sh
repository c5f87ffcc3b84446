#!/bin/sh
# SPDX-License-Identifier: ISC
# check-size.sh SRCDIR: the size limits of STYLE.md rule 4: a .c file at
# most 3000 lines, a header 500, a function 100, main() 60.
set -eu
cd "$1"
bad=0
for f in src/*.c; do
	n=$(wc -l <"$f")
	[ "$n" -le 3000 ] || { echo "$f: $n lines (limit 3000)"; bad=1; }
	# a function runs from a '{' in column 0 to the next '}' in column 0
	awk -v file="$f" '
	/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	/^\{/ { start = NR }
	/^\}/ && start {
		len = NR - start - 1
		lim = (name == "main") ? 60 : 100
		if (len > lim) { printf "%s: %s() is %d lines (limit %d)\n", file, name, len, lim; bad = 1 }
		start = 0
	}
	END { exit bad }' "$f" || bad=1
done
for f in include/*.h; do
	n=$(wc -l <"$f")
	[ "$n" -le 500 ] || { echo "$f: $n lines (limit 500)"; bad=1; }
done
[ $bad -eq 0 ] && echo "sizes: ok"
exit $bad
