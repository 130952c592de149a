/* libFuzzer harness: the state an iSCSI frontend receives from its
 * predecessor in a live upgrade (iscsi_handover_state.c). The first byte
 * gives the number of connection fds said to come with it; the rest is the
 * document. Whatever it holds, the parser must refuse it cleanly or return
 * values within the limits it was given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_handover_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct iscsi_ho_limits lim = { .max_recv_dsl = 262144,
		.max_burst = 1048576, .crc32c = true };
	static struct iscsi_ho_state st;
	const char *why = NULL;
	int nfds;

	if (size < 1)
		return 0;
	nfds = data[0] % (ISCSI_HO_MAX_CONNS + 2);
	if (iscsi_ho_parse(&lim, (const char *)data + 1, size - 1, nfds, &st, &why)) {
		if (!why)
			abort();
		return 0;
	}
	if ((int)st.n != nfds || st.next_nexus == 0)
		abort();
	for (uint32_t i = 0; i < st.n; i++) {
		const struct iscsi_ho_conn *c = &st.conns[i];

		if (c->fd < 0 || c->fd >= nfds || !c->listener[0] || !c->tsih || c->nholes > ISCSI_ERL_HOLES ||
		    c->part_len > ISCSI_BHS_LEN || c->p.mrdsl_rx > lim.max_recv_dsl ||
		    c->p.max_burst > lim.max_burst || c->p.first_burst > c->p.max_burst ||
		    !c->p.initiator_name[0] ||
		    memchr(c->p.initiator_name, 0, sizeof(c->p.initiator_name)) == NULL ||
		    memchr(c->peer, 0, sizeof(c->peer)) == NULL ||
		    memchr(c->listener, 0, sizeof(c->listener)) == NULL ||
		    (uint32_t)(c->max_cmd_sn + 1 - c->exp_cmd_sn) > ISCSI_QDEPTH)
			abort();
		for (uint32_t k = 0; k < i; k++)
			if (st.conns[k].fd == c->fd || st.conns[k].tsih == c->tsih)
				abort();
	}
	return 0;
}
