/* The iSCSI frontend's sandbox profile (iscsi_sandbox.c). */
#ifndef MTGT_ISCSI_SANDBOX_H
#define MTGT_ISCSI_SANDBOX_H
#include "common/sandbox.h"
extern const struct sandbox_profile iscsi_sandbox;
#endif
