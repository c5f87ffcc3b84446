#!/bin/sh
# SPDX-License-Identifier: ISC
# test_http.sh: the foundation's endpoints and HTTP behaviour: metadata,
# health, readiness, metrics, 404/405 as OperationOutcome, X-Request-ID,
# limits, and logs that never hold an NHS number.
. "$(dirname "$0")/lib.sh"

demo_init
start_daemon

is_outcome() { grep -q '<OperationOutcome xmlns="http://hl7.org/fhir">' "$T/body"; }
hdr() { tr -d '\r' <"$T/headers" | grep -i "^$1:" | head -n 1 | cut -d' ' -f2-; }

# CapabilityStatement
check "metadata 200" [ "$(status_of "$CAREHUB_URL/fhir/metadata")" = 200 ]
check "metadata is FHIR XML" sh -c "grep -q '^application/fhir+xml' <<EOF
$(hdr Content-Type)
EOF"
check "metadata is a CapabilityStatement" grep -q '<CapabilityStatement xmlns="http://hl7.org/fhir">' "$T/body"
XSD=${CAREHUB_SHARED:-/nonexistent}/fhir/fhir-r4-schema/official-single__mjhaugsdal/src/main/resources/fhir-single.xsd
if [ -f "$XSD" ] && command -v xmllint >/dev/null; then
	check "metadata validates against the FHIR R4 schema" \
	    xmllint --noout --nonet --schema "$XSD" "$T/body"
else
	echo "skip: FHIR schema or xmllint missing"; exit 77
fi

# health and readiness
check "healthz 200" [ "$(status_of "$CAREHUB_URL/healthz")" = 200 ]
check "readyz 200" [ "$(status_of "$CAREHUB_URL/readyz")" = 200 ]
check "readyz reports the checks" grep -q '"database":"ok","writer":"ok","disk":"ok"' "$T/body"

# unknown route, unknown method
check "unknown route 404" [ "$(status_of "$CAREHUB_URL/fhir/Nothing")" = 404 ]
check "404 is an OperationOutcome" is_outcome
check "405 for POST /healthz" [ "$(status_of "$CAREHUB_URL/healthz" -X POST -d x)" = 405 ]
check "405 is an OperationOutcome" is_outcome
check "405 carries Allow" [ "$(hdr Allow)" = "GET, HEAD" ]

# request ids
status_of "$CAREHUB_URL/healthz" -H 'X-Request-ID: test-id-123' >/dev/null
check "caller's X-Request-ID echoed" [ "$(hdr X-Request-ID)" = test-id-123 ]
status_of "$CAREHUB_URL/fhir/Nothing" >/dev/null
check "new X-Request-ID is a UUID" sh -c "echo '$(hdr X-Request-ID)' |
    grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$'"
status_of "$CAREHUB_URL/healthz" -H 'X-Request-ID: bad id <script>' >/dev/null
check "unsafe X-Request-ID replaced" sh -c "echo '$(hdr X-Request-ID)' | grep -Eq '^[0-9a-f-]{36}$'"

# metrics: admin only
check "metrics refused without admin (403)" [ "$(status_of "$CAREHUB_URL/metrics")" = 403 ]
check "metrics 403 is an OperationOutcome" is_outcome
ig_curl -o "$T/metrics" "$CAREHUB_URL/metrics"
check "metrics for the admin system" grep -q '^carehub_http_requests_total{route="/healthz",code="200"} ' "$T/metrics"
check "metrics count 404s" grep -q '^carehub_http_requests_total{route="unmatched",code="404"} ' "$T/metrics"
check "metrics latency histogram" grep -q '^carehub_http_request_duration_seconds_bucket{le="+Inf"} ' "$T/metrics"
check "metrics open connections" grep -q '^carehub_http_open_connections [0-9]' "$T/metrics"
check "metrics database size" grep -Eq '^carehub_db_size_bytes [1-9][0-9]*$' "$T/metrics"

# limits: oversized body and headers get 4xx from libevent, no crash
head -c 11000000 /dev/zero >"$T/big"
st=$(status_of "$CAREHUB_URL/healthz" -X POST --data-binary @"$T/big" -H 'Expect:')
check "oversized body refused with 413 ($st)" [ "$st" = 413 ]
long=$(head -c 20000 /dev/zero | tr '\0' a)
st=$(status_of "$CAREHUB_URL/healthz" -H "X-Long: $long")
check "oversized headers refused with 4xx ($st)" [ "$st" -ge 400 ] && [ "$st" -lt 500 ]
printf 'GARBAGE\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" \
    -quiet -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" \
    >"$T/out" 2>/dev/null
check "malformed request line gets 400" grep -q '^HTTP/1.1 400' "$T/out"
check "daemon survived" kill -0 "$PID"

# NHS numbers never reach the log, in paths or query strings
status_of "$CAREHUB_URL/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919" >/dev/null
status_of "$CAREHUB_URL/fhir/Patient/943%20476%205919" >/dev/null
status_of "$CAREHUB_URL/x/9434765919/y" >/dev/null
status_of "$CAREHUB_URL/fhir/Patient/943.476.5919" >/dev/null
status_of "$CAREHUB_URL/fhir/Patient?943+476+5919" >/dev/null
status_of "$CAREHUB_URL/fhir/Patient/943%2520476%25205919" >/dev/null
check "requests were logged" grep -q 'msg="request" .*target="/fhir/Patient?identifier=\*"' "$T/d.log"
check "no NHS number in the log" sh -c "! grep -Eq '943[^0-9a-z]{0,6}476[^0-9a-z]{0,6}5919' '$T/d.log'"

check "clean exit on SIGTERM" stop_daemon

# a plain HTTP listener, allowed on loopback only, serves only the
# anonymous routes
P2=$(random_port)
sed "s|\(<listen [^>]*/>\)|\1<listen address=\"127.0.0.1\" port=\"$P2\" plaintext=\"true\"/>|" \
    "$CAREHUB_CONF" >"$T/plain.conf"
start_daemon "$T/plain.conf"
st=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$P2/healthz")
check "plain HTTP listener answers /healthz ($st)" [ "$st" = 200 ]
st=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$P2/metrics")
check "plain HTTP listener refuses /metrics ($st)" [ "$st" = 403 ]
check "refusal says mutual TLS is needed" grep -q 'needs mutual TLS' "$T/body"
n=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	st=$(curl -s -o /dev/null -o /dev/null -w '%{http_code}' --max-time 5 -H 'Connection: close' \
	    "http://127.0.0.1:$P2/healthz" "http://127.0.0.1:$P2/readyz")
	[ "$st" = 200503 ] || [ "$st" = 200200 ] && n=$((n + 1))
done
check "plain HTTP: 24 requests on 12 connections all answered ($n/12)" [ "$n" = 12 ]
st=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P2/healthz" \
    "http://127.0.0.1:$P2/healthz" "http://127.0.0.1:$P2/fhir/metadata")
check "plain HTTP: keep-alive requests answered ($st)" [ "$st" = 200200200 ]
check "TLS listener still mutual TLS only" [ "$(status_of "$CAREHUB_URL/healthz")" = 200 ]
check "clean exit" stop_daemon
finish
