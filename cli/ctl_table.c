/* Human-readable output: a list of objects as a table (columns from the
 * first object's keys), "changes" as lines, anything else as key: value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_table.h"

static char *cell(json_t *v)
{
	char *s;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_true(v))
		return strdup("yes");
	if (json_is_false(v))
		return strdup("no");
	if (json_is_null(v) || !v)
		return strdup("-");
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : strdup("?");
}

void ctl_table(json_t *rows)
{
	json_t *first = json_array_get(rows, 0), *r, *v;
	const char *key;
	size_t ncol = json_object_size(first), i, c;
	size_t *w;

	if (!json_array_size(rows)) {
		printf("(none)\n");
		return;
	}
	if (!json_is_object(first)) {
		json_array_foreach(rows, i, r) {
			char *s = cell(r);

			printf("%s\n", s);
			free(s);
		}
		return;
	}
	w = calloc(ncol + 1, sizeof(*w));
	c = 0;
	json_object_foreach(first, key, v)
		w[c++] = strlen(key);
	json_array_foreach(rows, i, r) {
		c = 0;
		json_object_foreach(first, key, v) {
			char *s = cell(json_object_get(r, key));

			if (strlen(s) > w[c])
				w[c] = strlen(s);
			c++;
			free(s);
		}
	}
	c = 0;
	json_object_foreach(first, key, v) {
		char up[64];

		snprintf(up, sizeof(up), "%s", key);
		for (char *p = up; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p == '_' ? ' ' : *p);
		printf("%-*s%s", (int)w[c], up, c + 1 < ncol ? "  " : "\n");
		c++;
	}
	json_array_foreach(rows, i, r) {
		c = 0;
		json_object_foreach(first, key, v) {
			char *s = cell(json_object_get(r, key));

			printf("%-*s%s", (int)w[c], s, c + 1 < ncol ? "  " : "\n");
			free(s);
			c++;
		}
	}
	free(w);
}

void ctl_print_generic(json_t *r)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_array(r)) {
		ctl_table(r);
		return;
	}
	if (json_is_object(r) && json_is_array(json_object_get(r, "changes"))) {
		json_t *ch = json_object_get(r, "changes");

		if (!json_array_size(ch))
			printf("no change\n");
		json_array_foreach(ch, i, v)
			printf("%s%s\n", json_is_true(json_object_get(r, "dry_run")) ? "would: " : "",
			       json_string_value(v));
		return;
	}
	if (json_is_object(r)) {
		json_object_foreach(r, key, v) {
			char *s = cell(v);

			printf("%s: %s\n", key, s);
			free(s);
		}
		return;
	}
	{
		char *s = cell(r);

		printf("%s\n", s);
		free(s);
	}
}
