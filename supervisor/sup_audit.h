/* The system call behind a child's seccomp kill, from the kernel's audit
 * records (sup_audit.c). */
#ifndef MTGT_SUP_AUDIT_H
#define MTGT_SUP_AUDIT_H

#include <stddef.h>
#include <sys/types.h>

/* Open /dev/kmsg at its end; without it, calls stay unnamed. */
void sup_audit_init(void);
/* The number of the call pid was killed for (its name in name), or
 * -ENOENT when no record was found. */
int sup_audit_seccomp_call(pid_t pid, char *name, size_t len);

#endif
