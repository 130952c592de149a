#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/sup_policy.h"

const struct sup_policy sup_policy_builtin = {
	.backoff_initial_ms = 100,
	.backoff_max_ms = 10000,
	.intensity = 10,
	.period_s = 60,
};

static int field(json_t *j, const char *key, uint32_t min, uint32_t max, uint32_t *out,
		 const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(j, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "%s.%s: must be an integer %u..%u", where, key, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

int sup_policy_parse(json_t *j, const struct sup_policy *base, struct sup_policy *out,
		     const char *where, char *err, size_t errlen)
{
	static const char *const keys[] = { "backoff_initial_ms", "backoff_max_ms", "intensity",
					    "period_s", NULL };
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "%s: must be an object", where);
		return -EINVAL;
	}
	json_object_foreach(j, key, v) {
		bool ok = false;

		for (const char *const *k = keys; *k; k++)
			ok |= !strcmp(*k, key);
		if (!ok) {
			snprintf(err, errlen, "%s.%s: unknown field", where, key);
			return -EINVAL;
		}
	}
	*out = *base;
	if ((r = field(j, "backoff_initial_ms", 1, 600000, &out->backoff_initial_ms, where, err,
		       errlen)) ||
	    (r = field(j, "backoff_max_ms", 1, 3600000, &out->backoff_max_ms, where, err, errlen)) ||
	    (r = field(j, "intensity", 1, 10000, &out->intensity, where, err, errlen)) ||
	    (r = field(j, "period_s", 1, 86400, &out->period_s, where, err, errlen)))
		return r;
	if (out->backoff_max_ms < out->backoff_initial_ms) {
		snprintf(err, errlen, "%s.backoff_max_ms: smaller than backoff_initial_ms", where);
		return -EINVAL;
	}
	return 0;
}

json_t *sup_policy_json(const struct sup_policy *p)
{
	return json_pack("{s:i, s:i, s:i, s:i}", "backoff_initial_ms", p->backoff_initial_ms,
			 "backoff_max_ms", p->backoff_max_ms, "intensity", p->intensity,
			 "period_s", p->period_s);
}

uint32_t sup_policy_recent(const struct sup_policy *p, const struct sup_restart_hist *h,
			   double now)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < h->n; i++)
		if (now - h->when[i] <= p->period_s)
			n++;
	return n;
}

enum sup_verdict sup_policy_decide(const struct sup_policy *p, struct sup_restart_hist *h,
				   double now, double started, double *delay_s)
{
	uint32_t recent;

	/* A process that ran a whole period is healthy again: forget its past. */
	if (now - started > p->period_s) {
		h->backoff_s = 0;
		h->escalated = false;
	}
	h->when[h->next] = now;
	h->next = (h->next + 1) % SUP_POLICY_HIST;
	if (h->n < SUP_POLICY_HIST)
		h->n++;
	recent = sup_policy_recent(p, h, now);

	*delay_s = h->backoff_s;
	h->backoff_s = h->backoff_s ? h->backoff_s * 2 : p->backoff_initial_ms / 1000.0;
	if (h->backoff_s > p->backoff_max_ms / 1000.0)
		h->backoff_s = p->backoff_max_ms / 1000.0;
	if (recent <= p->intensity)
		return SUP_RESTART;
	if (!h->escalated) {
		h->escalated = true;
		return SUP_ESCALATE;
	}
	return SUP_GIVE_UP;
}
