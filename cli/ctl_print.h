#ifndef MTGT_CLI_PRINT_H
#define MTGT_CLI_PRINT_H

#include <jansson.h>

/* Human-readable rendering of a method's result. */
void ctl_print(const char *method, json_t *result);

#endif
