#ifndef MTGT_BE_NULL_H
#define MTGT_BE_NULL_H

#include "procs/backend-common/be.h"

extern const struct be_ops be_null_ops;

#endif
