/* Batched reading of data-less command headers.
 *
 * At queue depth 32 of small reads the initiator sends a stream of 48-byte
 * SCSI Command PDUs without data segments, and reading them one readv each
 * costs a syscall (with its ACK processing) per command. Reading further
 * ahead blindly would pull the next PDU's payload (immediate data, Data-Out)
 * into a staging buffer, and payload must land in its pool buffer without a
 * copy. So we look before we take: MSG_PEEK shows what is queued, and only
 * the run of whole headers at its front that carry nothing after them (SCSI
 * Command, no AHS, no data segment) is consumed, with MSG_TRUNC, which
 * discards without copying. Two syscalls for the run instead of one per
 * header; anything else stays in the socket for the ordinary path.
 *
 * The consumed headers wait in the connection's queue (c->hq) and are parsed
 * by the ordinary state machine one at a time. A peek that finds fewer than
 * two headers (queue depth 1, writes) turns batching off for a while, so a
 * workload it cannot help pays one extra syscall per ISCSI_RXB_BACKOFF
 * headers at most. */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "procs/frontend-iscsi/iscsi_handover.h"

#define ISCSI_RXB_BACKOFF 16

static bool hdr_alone(const uint8_t *bhs)
{
	uint32_t dlen = (uint32_t)bhs[5] << 16 | (uint32_t)bhs[6] << 8 | bhs[7];

	return (bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_SCSI_CMD && bhs[4] == 0 && dlen == 0;
}

bool iscsi_rxb_take(struct iscsi_conn *c)
{
	if (c->hq_off >= c->hq_len)
		return false;
	memcpy(c->bhs, c->hq + c->hq_off, ISCSI_BHS_LEN);
	c->bhs_have = ISCSI_BHS_LEN;
	c->hq_off += ISCSI_BHS_LEN;
	if (c->hq_off == c->hq_len)
		c->hq_off = c->hq_len = 0;
	return true;
}

int iscsi_rxb_fill(struct iscsi_conn *c)
{
	ssize_t n, r;
	uint32_t k = 0;

	if (!c->t->rx_batch || c->state != CONN_FFP || c->hdigest || c->bhs_have ||
	    c->hq_len || iscsi_handover_busy())
		return 0;
	if (c->rxb_skip) {
		c->rxb_skip--;
		return 0;
	}
	do
		n = recv(c->fd, c->hq, sizeof(c->hq), MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	/* errors, EOF and EAGAIN are the ordinary read's to report */
	while (n > 0 && (k + 1) * ISCSI_BHS_LEN <= (size_t)n &&
	       hdr_alone(c->hq + k * ISCSI_BHS_LEN))
		k++;
	if (k < 2) {
		c->rxb_skip = ISCSI_RXB_BACKOFF;
		return 0;
	}
	do
		r = recv(c->fd, NULL, k * ISCSI_BHS_LEN, MSG_TRUNC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)(k * ISCSI_BHS_LEN)) {
		/* what we saw was queued: only a broken socket takes less, and
		 * the stream's PDU boundaries are then lost */
		iscsi_conn_close(c, "short read of peeked headers");
		return -1;
	}
	c->hq_off = 0;
	c->hq_len = k * ISCSI_BHS_LEN;
	c->last_rx = ev_now(c->t->loop);
	c->t->st.rx_batched += k;
	return (int)k;
}
