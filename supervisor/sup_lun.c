/* Per-LUN storage settings in the CTL_INIT documents (cache mode, O_DIRECT,
 * physical block size), kept apart from sup_init_msg.c's generic fields. */
#include "supervisor/sup.h"

void sup_lun_core_extra(const struct sup_lun *l, json_t *o)
{
	json_object_set_new(o, "cache", json_string(l->writethrough ? "writethrough"
								   : "writeback"));
	json_object_set_new(o, "physical_block_size", json_integer(l->phys_block_size));
}

void sup_lun_backend_extra(const struct sup_lun *l, json_t *o)
{
	json_object_set_new(o, "direct", json_boolean(l->direct));
	json_object_set_new(o, "physical_block_size", json_integer(l->phys_block_size));
}
