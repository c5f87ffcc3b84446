#!/bin/sh
# SPDX-License-Identifier: ISC
# check-docs.sh SRCDIR: every configuration element and attribute of the
# schema is in carehub.conf(5), every carehubd flag in carehubd(8) and
# every carehubctl command in carehubctl(8).
set -eu
cd "$1"
bad=0
conf5=man/carehub.conf.5.in
d8=man/carehubd.8.in
c8=man/carehubctl.8.in
for name in $(sed -n 's/.*<xs:\(element\|attribute\) name="\([^"]*\)".*/\2/p' \
    schemas/carehub-conf.xsd | sort -u); do
	grep -Eq "^\.It (Ic|Cm) $name( |\$)" "$conf5" ||
	    { echo "$conf5: $name is not documented"; bad=1; }
done
for flag in $(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' src/main_carehubd.c |
    tr -d ':' | sed 's/./& /g'); do
	[ "$flag" = h ] && continue
	grep -Eq "^\.It Fl $flag( |\$)" "$d8" || { echo "$d8: -$flag is not documented"; bad=1; }
done
for cmd in version check "db init" "db check" "db rekey" demo-init status; do
	grep -Eq "^\.It Cm $cmd( |\$)" "$c8" ||
	    { echo "$c8: command $cmd is not documented"; bad=1; }
done
[ $bad -eq 0 ] && echo "docs: ok"
exit $bad
