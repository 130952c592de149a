#ifndef MTGT_BE_RAM_H
#define MTGT_BE_RAM_H

#include "procs/backend-common/be.h"

extern const struct be_ops be_ram_ops;

#endif
