/* The core's sandbox profile (core_sandbox.c). */
#ifndef MTGT_CORE_SANDBOX_H
#define MTGT_CORE_SANDBOX_H
#include "common/sandbox.h"
extern const struct sandbox_profile core_sandbox;
#endif
