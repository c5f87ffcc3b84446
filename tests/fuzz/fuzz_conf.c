/* SPDX-License-Identifier: ISC */
/*
 * fuzz_conf.c: the configuration parser (hardened XML, schema, semantic
 * checks).  Any input must be accepted or refused with a message, never
 * crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf *c = NULL;
	char err[1024];

	err[0] = '\0';
	if (conf_load_buf((const char *)data, len, "/fuzz/carehub.conf", &c,
	    err, sizeof(err)) != 0 && err[0] == '\0')
		__builtin_trap();	/* every refusal must say why */
	conf_free(c);
	return 0;
}
