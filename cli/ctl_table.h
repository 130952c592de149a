#ifndef MTGT_CLI_CTL_TABLE_H
#define MTGT_CLI_CTL_TABLE_H

#include <jansson.h>

void ctl_table(json_t *rows);
void ctl_print_generic(json_t *r);

#endif
