/* libFuzzer: the config parser must refuse, never crash on, any JSON. */
#include <stddef.h>
#include <stdint.h>

#include "supervisor/sup_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loadb((const char *)data, size, 0, NULL);

	if (!root)
		return 0;
	sup_config_load_json(&cfg, root, err, sizeof(err));
	sup_config_free(&cfg);
	json_decref(root);
	return 0;
}
