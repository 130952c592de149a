/* Portals added and removed live: we bind the new listening socket (children
 * may not) and hand it to every frontend with CTL_PORTAL_ADD; a removed
 * portal's frontends stop accepting there (CTL_PORTAL_DEL) and we close our
 * copy. Connections already accepted on it stay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup_live.h"

static int find_portal(const struct sup_config *c, const struct sup_portal *p)
{
	for (uint32_t i = 0; i < c->nportals; i++)
		if (!strcmp(c->portals[i].host, p->host) && c->portals[i].port == p->port)
			return (int)i;
	return -1;
}

int sup_live_portals_prepare(struct sup *s, struct sup_config *nc, int *fds, bool dry_run,
			     json_t *diff, char *err, size_t errlen)
{
	char line[128];

	for (uint32_t i = 0; i < nc->nportals; i++)
		fds[i] = -1;
	for (uint32_t i = 0; i < nc->nportals; i++) {
		int o = find_portal(&s->cfg, &nc->portals[i]);

		if (o >= 0) {
			if (s->cfg.portals[o].group != nc->portals[i].group) {
				snprintf(err, errlen, "portals[%u]: the group of %s cannot change live "
					 "(delete the portal and add it again)", i, nc->portals[i].text);
				goto fail;
			}
			fds[i] = s->listen_fds[o];
			continue;
		}
		snprintf(line, sizeof(line), "+ portal %s group %u", nc->portals[i].text,
			 nc->portals[i].group);
		json_array_append_new(diff, json_string(line));
		if (dry_run)
			continue;
		fds[i] = sup_bind_portal(&nc->portals[i]);
		if (fds[i] < 0) {
			snprintf(err, errlen, "portals[%u]: cannot listen on %s: %s", i,
				 nc->portals[i].text, strerror(-fds[i]));
			fds[i] = -1;
			goto fail;
		}
	}
	for (uint32_t i = 0; i < s->cfg.nportals; i++)
		if (find_portal(nc, &s->cfg.portals[i]) < 0) {
			snprintf(line, sizeof(line), "- portal %s", s->cfg.portals[i].text);
			json_array_append_new(diff, json_string(line));
		}
	return 0;
fail:
	sup_live_portals_abort(s, nc, fds);
	return -EINVAL;
}

void sup_live_portals_abort(struct sup *s, struct sup_config *nc, const int *fds)
{
	for (uint32_t i = 0; i < nc->nportals; i++)
		if (fds[i] >= 0 && find_portal(&s->cfg, &nc->portals[i]) < 0)
			close(fds[i]);
}

static void to_frontends(struct sup *s, uint32_t type, json_t *j, int fd)
{
	char *txt = json_dumps(j, JSON_COMPACT);

	for (uint32_t i = 0; txt && i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p->kind != SUP_FRONTEND || p->ctl < 0 ||
		    (p->state != SUP_ST_RUNNING && p->state != SUP_ST_STARTING))
			continue;
		if (ctl_send(p->ctl, type, txt, strlen(txt), fd >= 0 ? &fd : NULL, fd >= 0) < 0)
			log_warn("%s: cannot send %s", p->name, ctl_type_name(type));
	}
	free(txt);
}

/* s->cfg is the new config now, oc the old one. */
void sup_live_portals_commit(struct sup *s, struct sup_config *oc, const int *fds)
{
	for (uint32_t i = 0; i < oc->nportals; i++)
		if (find_portal(&s->cfg, &oc->portals[i]) < 0) {
			json_t *j = json_pack("{s:s}", "addr", oc->portals[i].text);

			to_frontends(s, CTL_PORTAL_DEL, j, -1);
			json_decref(j);
			close(s->listen_fds[i]);
			log_info("portal %s removed", oc->portals[i].text);
		}
	for (uint32_t i = 0; i < s->cfg.nportals; i++) {
		if (find_portal(oc, &s->cfg.portals[i]) < 0) {
			json_t *j = json_pack("{s:s, s:i}", "addr", s->cfg.portals[i].text, "group",
					      s->cfg.portals[i].group);

			to_frontends(s, CTL_PORTAL_ADD, j, fds[i]);
			json_decref(j);
			log_info("portal %s added (group %u)", s->cfg.portals[i].text,
				 s->cfg.portals[i].group);
		}
	}
	for (uint32_t i = 0; i < SUP_MAX_PORTALS; i++)
		s->listen_fds[i] = i < s->cfg.nportals ? fds[i] : -1;
}
