/* The ALUA states in the core state segment: core_alua.c's plain-data image of
 * every target's port groups, as a hex string under "alua". Loading checks
 * the image itself (header, groups by id, states by name) and skips what no
 * longer applies, so a bad image costs only the ALUA states, which then start
 * as configured. ALUA changes always raise a unit attention, which marks the
 * state dirty: no save is missed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_state.h"

#define ALUA_IMAGE_MAX (1u << 20)

static json_t *alua_save(struct core *co)
{
	size_t n = core_alua_state_size(co), i;
	uint8_t *b = n && n <= ALUA_IMAGE_MAX ? malloc(n) : NULL;
	char *hex = b ? malloc(2 * n + 1) : NULL;
	json_t *v = NULL;

	if (hex && core_alua_save(co, b, n) == n) {
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		v = json_string(hex);
	}
	free(b);
	free(hex);
	return v;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		if (out)
			out[i] = (uint8_t)v;
	}
	return 0;
}

static int alua_check(struct core *co, json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = s ? strlen(s) : 0;

	(void)co;
	if (!s || len % 2 || len / 2 > ALUA_IMAGE_MAX || unhex(s, NULL, len / 2))
		return -1;
	return 0;
}

static void alua_apply(struct core *co, json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s) / 2;
	uint8_t *b = malloc(n ? n : 1);

	if (b && !unhex(s, b, n) && core_alua_load(co, b, n))
		log_err("state segment: ALUA image refused; port groups start as configured");
	free(b);
}

static const struct core_state_ext alua_ext = {
	.key = "alua", .save = alua_save, .check = alua_check, .apply = alua_apply,
};

void core_state_alua_register(void)
{
	core_state_register(&alua_ext);
}
