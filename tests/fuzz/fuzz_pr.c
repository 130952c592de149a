/* libFuzzer: hostile PERSISTENT RESERVE OUT / IN, RESERVE / RELEASE and MODE
 * SELECT from three initiator ports against one LU. The input is a sequence of
 * commands: [port, opcode selector, cdb byte 1, cdb byte 2, plen, param...].
 * Every answer must be well formed; the reservation state must stay
 * consistent (bounded registrations, a holder registered unless the type is
 * all-registrants). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/core/scsi_pr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_notify(void *ctx, const struct scsi_itn *itn, uint16_t bit, bool abort)
{
	(void)ctx;
	(void)abort;
	if (!itn->name[0] || bit == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	static const uint8_t ops[] = { PERSISTENT_RESERVE_OUT, PERSISTENT_RESERVE_IN, RESERVE_6,
				       RELEASE_6, RESERVE_10, RELEASE_10, MODE_SELECT_6,
				       MODE_SELECT_10 };
	struct scsi_itn ports[3];
	struct scsi_pr pr;
	struct scsi_lu lu;
	size_t off = 0;

	memset(ports, 0, sizeof(ports));
	strcpy(ports[0].name, "iqn.2026-11.org.test:a");
	ports[0].isid = 1;
	strcpy(ports[1].name, "iqn.2026-11.org.test:a");
	ports[1].isid = 2;
	strcpy(ports[2].name, "iqn.2026-11.org.test:b");
	ports[2].isid = 1;
	memset(&lu, 0, sizeof(lu));
	lu.block_size = 512;
	lu.block_shift = 9;
	lu.nblocks = 1024;
	lu.wce = lu.wce_default = true;
	scsi_pr_init(&pr);
	while (size - off >= 5) {
		uint8_t cdb[16] = { 0 }, port = data[off] % 3;
		uint32_t plen = data[off + 4];
		struct scsi_result r;
		struct scsi_pr_req q;

		cdb[0] = ops[data[off + 1] % sizeof(ops)];
		cdb[1] = data[off + 2];
		cdb[2] = data[off + 3];
		off += 5;
		if (plen > size - off)
			plen = (uint32_t)(size - off);
		memset(&r, 0, sizeof(r));
		if (cdb[0] == MODE_SELECT_6 || cdb[0] == MODE_SELECT_10) {
			bool changed;

			if (cdb[0] == MODE_SELECT_6)
				cdb[4] = (uint8_t)plen;
			else
				scsi_put16(cdb + 7, (uint16_t)plen);
			scsi_mode_select(&lu, cdb, data + off, plen, &r, &changed);
			if (lu.readonly != (lu.ro_config || lu.swp))
				__builtin_trap();
		} else {
			scsi_put32(cdb + 5, plen);
			scsi_put16(cdb + 7, cdb[0] == PERSISTENT_RESERVE_IN ? 0xffff : cdb[7]);
			memset(&q, 0, sizeof(q));
			q.pr = &pr;
			q.self = &ports[port];
			q.cdb = cdb;
			q.param = data + off;
			q.plen = cdb[0] == PERSISTENT_RESERVE_OUT ? plen : 0;
			q.aptpl_ok = plen & 1;
			q.rel_port = 1;
			q.notify = no_notify;
			q.out = out;
			q.cap = sizeof(out);
			scsi_pr_execute(&q, &r);
			if (r.data_len > sizeof(out) || pr.nregs > SCSI_PR_MAX_REGS)
				__builtin_trap();
			if (pr.reserved && pr.type != PR_WE_AR && pr.type != PR_EA_AR) {
				bool found = false;

				for (uint32_t i = 0; i < pr.nregs; i++)
					found |= scsi_itn_match(&pr.regs[i].itn, &pr.holder);
				if (!found)
					__builtin_trap();
			}
			if (pr.reserved && (pr.type == PR_WE_AR || pr.type == PR_EA_AR) && !pr.nregs)
				__builtin_trap();
		}
		if (r.status != SCSI_GOOD && r.status != SCSI_CHECK_CONDITION &&
		    r.status != SCSI_STATUS_RESERVATION_CONFLICT)
			__builtin_trap();
		if (r.status == SCSI_CHECK_CONDITION && r.sense_len < 8)
			__builtin_trap();
		for (unsigned p = 0; p < 3; p++)
			(void)scsi_pr_conflict(&pr, &ports[p], cdb);
		off += plen;
	}
	scsi_pr_free(&pr);
	return 0;
}
