/* Restart policy: immediate first restart, exponential backoff after, and an
 * intensity limit (more than N restarts within T seconds) that escalates once
 * (the failed process's dependants are restarted too) and then gives up. */
#ifndef MTGT_SUP_POLICY_H
#define MTGT_SUP_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SUP_POLICY_HIST 64

struct sup_policy {
	uint32_t backoff_initial_ms;
	uint32_t backoff_max_ms;
	uint32_t intensity;     /* restarts allowed within period_s */
	uint32_t period_s;
};

/* Per-process bookkeeping the policy decides on. */
struct sup_restart_hist {
	double   when[SUP_POLICY_HIST];
	uint32_t n;             /* entries used (ring) */
	uint32_t next;
	bool     escalated;
	double   backoff_s;
};

enum sup_verdict { SUP_RESTART, SUP_ESCALATE, SUP_GIVE_UP };

extern const struct sup_policy sup_policy_builtin;

/* Parse {"backoff_initial_ms", "backoff_max_ms", "intensity", "period_s"} over
 * a base policy (missing fields keep the base's). -EINVAL with a message
 * naming the field. */
int  sup_policy_parse(json_t *j, const struct sup_policy *base, struct sup_policy *out,
		      const char *where, char *err, size_t errlen);
json_t *sup_policy_json(const struct sup_policy *p);

/* A death at `now` after running since `started`: what to do, and after
 * how long (*delay_s). */
enum sup_verdict sup_policy_decide(const struct sup_policy *p, struct sup_restart_hist *h,
				   double now, double started, double *delay_s);
/* Restarts counted within the current period. */
uint32_t sup_policy_recent(const struct sup_policy *p, const struct sup_restart_hist *h,
			   double now);

#endif
