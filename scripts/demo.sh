#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.sh: install what is missing, build, write a demo setup (once) and
# run carehubd on it in the foreground.  Ctrl-C stops it.
#   CAREHUB_DEMO_DIR  where the demo lives (default: ./demo)
#   CAREHUB_DEMO_PORT its HTTPS port (default: 8443)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${CAREHUB_DEMO_DIR:-$top/demo}
port=${CAREHUB_DEMO_PORT:-8443}

sh "$top/scripts/install-deps.sh"
sh "$top/scripts/build.sh" "$top/build"
if [ ! -f "$dir/carehub.conf" ]; then
	"$top/build/carehubctl" demo-init "$dir" --port "$port"
fi
. "$dir/demo.env"
"$top/build/carehubd" -t -f "$CAREHUB_CONF"
cat <<EOT

carehubd is starting on $CAREHUB_URL with the demo in $dir.
In another shell, as a demo GP system:

  . $dir/demo.env
  curl --cacert "\$CAREHUB_CA" --cert "\$CAREHUB_GP_CERT" --key "\$CAREHUB_GP_KEY" \\
      "\$CAREHUB_URL/fhir/metadata"
  curl --cacert "\$CAREHUB_CA" --cert "\$CAREHUB_GP_CERT" --key "\$CAREHUB_GP_KEY" \\
      "\$CAREHUB_URL/readyz"
  curl --cacert "\$CAREHUB_CA" --cert "\$CAREHUB_IG_CERT" --key "\$CAREHUB_IG_KEY" \\
      "\$CAREHUB_URL/metrics"
  $top/build/carehubctl -f "\$CAREHUB_CONF" status

Stop it with Ctrl-C (SIGINT) or SIGTERM.

EOT
exec "$top/build/carehubd" -f "$CAREHUB_CONF"
