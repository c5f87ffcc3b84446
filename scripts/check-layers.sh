#!/bin/sh
# SPDX-License-Identifier: ISC
# check-layers.sh SRCDIR: each module includes only headers of its own
# layer or lower (DESIGN.md "Modules, lowest first"; tor's .may_include).
# A file's layer comes from its name's prefix; so does a header's.
set -eu
cd "$1"
layer() {
	case "$(basename "$1")" in
	err.*|log.*|util.*|xml_safe.*) echo 0 ;;
	conf.*|conf_*) echo 1 ;;
	db.*|db_*) echo 2 ;;
	fhir.*|fhir_*) echo 3 ;;
	identity*) echo 4 ;;
	policy*) echo 5 ;;
	audit*) echo 6 ;;
	views*) echo 7 ;;
	notify*) echo 8 ;;
	http.*|http_*) echo 9 ;;
	daemon.*|daemon_*) echo 10 ;;
	ctl.*|ctl_*|main_*) echo 11 ;;
	*) echo "" ;;
	esac
}
bad=0
for f in src/*.c include/*.h; do
	lf=$(layer "$f")
	if [ -z "$lf" ]; then
		echo "$f: file name matches no layer in scripts/check-layers.sh"
		bad=1
		continue
	fi
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		[ "$h" = config.h ] && continue
		lh=$(layer "$h")
		if [ -z "$lh" ]; then
			echo "$f: includes $h, which is in no layer"
			bad=1
		elif [ "$lh" -gt "$lf" ]; then
			echo "$f: includes $h from a higher layer"
			bad=1
		fi
	done
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
