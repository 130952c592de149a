/* Decoding the soft transport's connection description at a live upgrade
 * (srp_soft_desc.h). It comes from the previous instance through the
 * supervisor: input like any other, never trusted. */
#include "procs/frontend-srp/srp_soft_desc.h"

#include <errno.h>
#include <stdbool.h>

static bool u64_field(const json_t *o, const char *key, uint64_t hi, uint64_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x) || json_integer_value(x) < 0 ||
	    (uint64_t)json_integer_value(x) > hi)
		return false;
	*v = (uint64_t)json_integer_value(x);
	return true;
}

int srp_soft_desc_parse(const json_t *desc, int nfds, struct srp_soft_mr *mrs, uint32_t *nmr)
{
	json_t *arr = json_object_get(desc, "mrs"), *m;
	size_t i;

	*nmr = 0;
	if (!json_is_object(desc) || !json_is_array(arr) ||
	    json_array_size(arr) > SRP_SOFT_MAX_MRS || nfds < 1 ||
	    (size_t)nfds != 1 + json_array_size(arr))
		return -EINVAL;
	json_array_foreach(arr, i, m) {
		uint64_t rkey, access, addr, len;

		if (!json_is_object(m) || !u64_field(m, "rkey", UINT32_MAX, &rkey) ||
		    !u64_field(m, "access", SOFT_ACC_REMOTE_READ | SOFT_ACC_REMOTE_WRITE, &access) ||
		    !u64_field(m, "addr", INT64_MAX, &addr) ||
		    !u64_field(m, "length", SRP_SOFT_MAX_MR_LEN, &len) || len == 0 ||
		    addr + len < addr)
			return -EINVAL;
		for (uint32_t k = 0; k < i; k++)
			if (mrs[k].rkey == rkey)
				return -EINVAL;
		mrs[i] = (struct srp_soft_mr){ .rkey = (uint32_t)rkey, .access = (uint32_t)access,
					       .addr = addr, .length = len };
	}
	*nmr = (uint32_t)json_array_size(arr);
	return 0;
}

int srp_soft_desc_check(const json_t *desc, int nfds)
{
	struct srp_soft_mr mrs[SRP_SOFT_MAX_MRS];
	uint32_t n;

	return srp_soft_desc_parse(desc, nfds, mrs, &n);
}
