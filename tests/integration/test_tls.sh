#!/bin/sh
# SPDX-License-Identifier: ISC
# test_tls.sh: mutual TLS.  Only clients with a certificate from the
# configured CA that maps to a configured system get an HTTP answer; old
# protocols, non-AEAD suites and plaintext get nothing.
. "$(dirname "$0")/lib.sh"

demo_init
start_daemon

# A foreign CA with a client certificate, and a certificate from the demo
# CA that no system is registered to.
mkcert() { # mkcert NAME CA_CERT CA_KEY
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$T/ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial \
	    -days 2 -extfile "$T/ext" -out "$T/$1.crt" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other-ca.key" -subj "/CN=other CA" -days 2 \
    -out "$T/other-ca.crt" 2>/dev/null
mkcert foreign "$T/other-ca.crt" "$T/other-ca.key"
mkcert stranger "$(dirname "$CAREHUB_CA")/ca.crt" "$(dirname "$CAREHUB_CA")/ca.key"

answered() { grep -q '^HTTP/1.1 ' "$T/out"; }
no_answer() { ! answered; }

for v in -tls1_2 -tls1_3; do
	s_client_request $v -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" \
	    -key "$CAREHUB_GP_KEY" >"$T/out"
	check "registered system gets an answer ($v)" grep -q '^HTTP/1.1 200' "$T/out"
	s_client_request $v -CAfile "$CAREHUB_CA" >"$T/out"
	check "no client certificate: no HTTP answer ($v)" no_answer
	s_client_request $v -CAfile "$CAREHUB_CA" -cert "$T/foreign.crt" \
	    -key "$T/foreign.key" >"$T/out"
	check "certificate from another CA: no HTTP answer ($v)" no_answer
	s_client_request $v -CAfile "$CAREHUB_CA" -cert "$T/stranger.crt" \
	    -key "$T/stranger.key" >"$T/out"
	check "certificate of no configured system: no HTTP answer ($v)" no_answer
done
check "unregistered certificate is logged" grep -q 'not registered to any system' "$T/d.log"

# Old protocol and non-AEAD suites: OpenSSL's own client refuses them
# first unless told otherwise, so lower its security level.
s_client_request -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$CAREHUB_CA" \
    -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "TLS 1.1 refused" no_answer
s_client_request -tls1_2 -cipher AES128-SHA -CAfile "$CAREHUB_CA" \
    -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "TLS 1.2 with a non-AEAD suite (AES128-SHA) refused" no_answer
s_client_request -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0' \
    -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "TLS 1.2 with a CBC ECDHE suite refused" no_answer
s_client_request -tls1_2 -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305' \
    -CAfile "$CAREHUB_CA" -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "TLS 1.2 with ECDHE ChaCha20-Poly1305 accepted" answered

# Plain HTTP to the TLS port gets no HTTP answer.
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$T/req"
curl -s --max-time 5 "http://127.0.0.1:$PORT/healthz" -D "$T/out" -o /dev/null
check "plaintext request to the TLS port: no HTTP answer" no_answer

# The verified session is remembered: resumption still maps to the system.
openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CAREHUB_CA" \
    -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" -tls1_2 \
    -sess_out "$T/sess" </dev/null >/dev/null 2>&1
s_client_request -tls1_2 -CAfile "$CAREHUB_CA" -sess_in "$T/sess" \
    -cert "$CAREHUB_GP_CERT" -key "$CAREHUB_GP_KEY" >"$T/out"
check "resumed TLS 1.2 session answered" grep -q '^HTTP/1.1 200' "$T/out"

check "daemon still running" kill -0 "$PID"
check "clean exit on SIGTERM" stop_daemon
finish
