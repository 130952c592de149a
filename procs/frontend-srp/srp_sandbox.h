#ifndef MTGT_SRP_SANDBOX_H
#define MTGT_SRP_SANDBOX_H

#include <stdbool.h>

#include "common/sandbox.h"

/* The profile for this process: the strict one when only soft ports run,
 * the laxer verbs one when a verbs port is open (see docs/security.md). */
const struct sandbox_profile *srp_sandbox_profile(bool verbs);

#endif
