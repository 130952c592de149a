#ifndef MTGT_CLI_UPGRADE_H
#define MTGT_CLI_UPGRADE_H

#include <stdbool.h>

/* argv[0] is the process name, then options. Returns the exit status. */
int ctl_upgrade_main(const char *sock, int argc, char **argv, bool as_json);

#endif
