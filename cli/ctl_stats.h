#ifndef MTGT_CLI_CTL_STATS_H
#define MTGT_CLI_CTL_STATS_H

#include <stdbool.h>

/* `stats [--watch] [--count N]`: rates over 1 s between two samples. */
int ctl_stats(const char *sock, int argc, char **argv, bool as_json);

#endif
