/* SPDX-License-Identifier: ISC */
/* placeholder: replaced by the configuration module */
#include "config.h"
#include "conf.h"
