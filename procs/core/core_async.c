/* Asynchronous events toward frontends: when a unit attention is established
 * for a nexus outside any command of it (another initiator's MODE SELECT, a
 * resize, a LUN added, a reservation preempted), a frontend that asked for it
 * at NEXUS_ADD (MSG_NEXUS_ASYNC) gets MSG_ASYNC_EVENT with the sense the UA
 * will report, so it can tell the initiator at once (iSCSI AsyncEvent 0). The
 * UA itself stays pending: the event is only a hint.
 *
 * The message travels as a short-lived core_cmd of kind CK_ASYNC on the
 * frontend link's tx queue, behind answers already queued. When no command
 * slot is free the event is skipped (the UA is still reported). */
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"

/* core_ua_set() is called from places that have no struct core at hand
 * (core_ua_raise and its callers); the core is one per process. */
static struct core *async_core;

void core_async_init(struct core *co)
{
	async_core = co;
}

void core_async_ua(struct core_nexus *nx, uint32_t lun_index, uint16_t bit)
{
	struct core *co = async_core;
	struct core_link *fl;
	struct core_cmd *cmd;

	if (!co || lun_index >= nx->tgt->nluns || co->shutting_down)
		return;
	fl = core_link_get(co, nx->link);
	if (!fl || !fl->up || fl->broken)
		return;
	cmd = core_cmd_alloc(co);
	if (!cmd) {
		log_debug("nexus %u: no slot for an asynchronous event", nx->id);
		return;
	}
	cmd->kind = CK_ASYNC;
	cmd->state = CS_DONE;
	cmd->fe_link = fl->id;
	cmd->fe_gen = fl->gen;
	cmd->fe_tag = 0;
	cmd->nexus_id = nx->id;
	cmd->wire_lun = scsi_lun_encode(nx->tgt->luns[lun_index].lu.lun);
	cmd->async_sense_len = (uint8_t)scsi_ua_sense(bit, cmd->async_sense,
						       sizeof(cmd->async_sense));
	/* sent by the poll loop's flush: flushing here could free commands
	 * the caller is walking */
	core_tx_enqueue(co, fl, cmd, MSG_ASYNC_EVENT);
}

void core_async_fill(const struct core_cmd *cmd, union msg *m)
{
	struct msg_async_event *a = &m->async_event;

	a->h.tag = 0;
	a->nexus = cmd->nexus_id;
	a->lun = cmd->wire_lun;
	a->sense_len = cmd->async_sense_len;
	memcpy(a->sense, cmd->async_sense, cmd->async_sense_len);
}
