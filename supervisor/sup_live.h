/* Live configuration changes and the admin methods built on them. */
#ifndef MTGT_SUP_LIVE_H
#define MTGT_SUP_LIVE_H

#include <jansson.h>
#include <stdbool.h>

#include "supervisor/sup.h"
#include "supervisor/sup_acl.h"

/* Apply a whole configuration document as live changes (sup_live.c). On
 * success *diff is the list of changes ("+ lun iqn... 3 file /p", ...); with
 * dry_run nothing is changed. On error nothing is changed and err says why. */
int  sup_live_apply(struct sup *s, json_t *doc, bool dry_run, json_t **diff, char *err,
		    size_t errlen);
/* sup_live_portal.c: listening sockets for the new config's portals (old
 * ones carried over, new ones bound) into fds[], diff lines added. */
int  sup_live_portals_prepare(struct sup *s, struct sup_config *nc, int *fds, bool dry_run,
			      json_t *diff, char *err, size_t errlen);
void sup_live_portals_abort(struct sup *s, struct sup_config *nc, const int *fds);
void sup_live_portals_commit(struct sup *s, struct sup_config *oc, const int *fds);
/* Write the running configuration to path (NULL: the -c file) atomically,
 * keeping path.1 .. path.10 (sup_rpc_config.c). */
int  sup_config_save(struct sup *s, const char *path, char *err, size_t errlen);
void sup_stats_start(struct sup *s);

/* Method handlers (name -> function), one table per file. */
struct sup_rpc_entry {
	const char *name;
	sup_rpc_fn fn;
};
extern const struct sup_rpc_entry sup_rpc_live_methods[];
extern const struct sup_rpc_entry sup_rpc_config_methods[];
extern const struct sup_rpc_entry sup_rpc_stats_methods[];

/* The message of the last failed method (static storage). */
const char *sup_rpc_errf(int *code, int c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
