/* mtgt-fc's seccomp profile. The software FCoE driver only sends and
 * receives on the packet socket the supervisor opened and bound (send,
 * recvfrom: in the common set); its MAC and MTU were read before the
 * sandbox. Nothing is opened, bound or connected. */
#include <stddef.h>

#include "common/sandbox.h"

const struct sandbox_profile *fc_sandbox_profile(void);

static const int fc_calls[] = {
	-1
};

static const struct sandbox_profile fc_profile = {
	.kind = "fc",
	.syscalls = fc_calls,
};

const struct sandbox_profile *fc_sandbox_profile(void)
{
	return &fc_profile;
}
