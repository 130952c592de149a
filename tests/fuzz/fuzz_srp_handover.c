/* libFuzzer harness: the state a new mtgt-srp receives from its predecessor
 * in a live upgrade (srp_handover_parse.c, with the soft transport's
 * connection descriptions, srp_soft_desc.c). The first byte gives the
 * number of fds said to come with it; the rest is the document. Port 0 is a
 * soft port, port 1 one that cannot adopt connections (verbs). Whatever it
 * holds, the parser refuses it with a reason or returns values within the
 * limits it was given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-srp/srp_handover_parse.h"
#include "procs/frontend-srp/srp_soft_desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct srp_ho_limits *lim, const struct srp_ho_state *st, int nfds)
{
	int next_fd = 0;

	if (!st->doc || !st->next_nexus || st->nchans > SRP_HO_MAX_CHANS ||
	    st->nchans > lim->max_total || st->nsess > st->nchans)
		abort();
	for (uint32_t i = 0; i < st->nsess; i++) {
		const struct srp_ho_sess *s = &st->sess[i];

		if (s->port != 0 || !s->nexus || s->nexus >= st->next_nexus || !s->nchans ||
		    s->nchans > lim->max_chans)
			abort();
		for (uint32_t k = 0; k < i; k++)
			if (st->sess[k].nexus == s->nexus ||
			    (st->sess[k].port == s->port && !memcmp(st->sess[k].ini, s->ini, 16)))
				abort();
	}
	for (uint32_t i = 0; i < st->nchans; i++) {
		const struct srp_ho_chan *c = &st->chans[i];
		struct srp_soft_mr mrs[SRP_SOFT_MAX_MRS];
		uint32_t nmr;

		if (c->sess >= st->nsess || c->port != st->sess[c->sess].port || !c->id ||
		    c->it_len < SRP_MIN_IU_LEN || c->it_len > lim->max_it ||
		    c->ti_len < SRP_MIN_IU_LEN || c->ti_len > 4096 || !c->formats ||
		    (c->formats & ~(SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT)) ||
		    (c->imm_off && (c->imm_off < SRP_CMD_LEN || c->imm_off >= c->it_len)) ||
		    (uint64_t)c->req_lim + c->delta > lim->credits || c->fd != next_fd ||
		    c->nfds < 1 || c->fd + c->nfds > nfds)
			abort();
		/* the description decodes again as the import will decode it */
		if (srp_soft_desc_parse(c->conn, c->nfds, mrs, &nmr) < 0 || nmr + 1 != (uint32_t)c->nfds)
			abort();
		for (uint32_t k = 0; k < nmr; k++)
			if (!mrs[k].length || mrs[k].length > SRP_SOFT_MAX_MR_LEN ||
			    mrs[k].addr + mrs[k].length < mrs[k].addr || mrs[k].access > 3)
				abort();
		for (uint32_t k = 0; k < i; k++)
			if (st->chans[k].id == c->id)
				abort();
		next_fd = c->fd + c->nfds;
	}
	if (next_fd != nfds)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct srp_ho_limits lim = { .nports = 2, .max_it = 262144, .credits = 64,
					    .max_chans = 4, .max_total = 256 };
	static struct srp_ho_state st;
	const char *why = NULL;
	int nfds;

	if (size < 1)
		return 0;
	lim.check_conn[0] = srp_soft_desc_check;
	nfds = data[0] % (CTL_MAX_FDS + 1);
	if (srp_ho_parse(&lim, (const char *)data + 1, size - 1, nfds, &st, &why) < 0) {
		if (!why || st.doc || st.nsess || st.nchans)
			abort();
		return 0;
	}
	check(&lim, &st, nfds);
	srp_ho_state_release(&st);
	return 0;
}
