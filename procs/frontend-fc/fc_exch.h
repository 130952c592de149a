/* The exchange manager of a target port: responder exchanges opened by
 * initiators (FCP commands, link service requests), found again by RX_ID or
 * by (S_ID, OX_ID), aborted by ABTS and held as a recovery qualifier until RRQ
 * or R_A_TOV. Pure bookkeeping with an injected clock, so tests can drive
 * time. */
#ifndef MTGT_FC_EXCH_H
#define MTGT_FC_EXCH_H

#include <stdbool.h>
#include <stdint.h>

#define FC_EXCH_MAX      4096          /* RX_ID: 12 bits of index, 4 of generation */
#define FC_EXCH_HASH     1024
#define FC_E_D_TOV_MS    2000
#define FC_R_A_TOV_MS    10000

enum fc_exch_state {
	FC_EXCH_FREE = 0,
	FC_EXCH_OPEN,      /* in use by its owner */
	FC_EXCH_ABORTED,   /* BA_ACC sent: the owner must finish and never send on it */
	FC_EXCH_RRQ_WAIT,  /* owner done: (S_ID, OX_ID, RX_ID) may not be reused yet */
};

struct fc_exch {
	uint32_t s_id;
	uint16_t ox_id, rx_id;
	uint8_t  state;
	uint8_t  gen;
	uint32_t hnext;        /* hash chain by (S_ID, OX_ID), index+1; 0 ends */
	uint32_t fnext;        /* free list */
	uint64_t deadline_ms;  /* RRQ_WAIT: when the qualifier expires */
	void    *owner;        /* the command or link-service request */
	/* sequence state of data the initiator sends us */
	uint8_t  rx_seq_id;
	bool     rx_seq_open;
	uint16_t rx_seq_cnt;   /* next SEQ_CNT expected */
	uint8_t  tx_seq_id;    /* next SEQ_ID we use */
};

struct fc_exch_mgr {
	struct fc_exch tab[FC_EXCH_MAX];
	uint32_t hash[FC_EXCH_HASH];   /* index+1 of the first, 0: none */
	uint32_t free_head;            /* index+1, 0: none */
	uint32_t in_use;
};

void fc_exch_mgr_init(struct fc_exch_mgr *m);
/* A new responder exchange for (s_id, ox_id); NULL when the table is full or
 * that pair is still open or held as a recovery qualifier (the initiator
 * reused an OX_ID too early: a protocol error it must be told of). */
struct fc_exch *fc_exch_open(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id);
/* By RX_ID (checked against S_ID and OX_ID), or by (S_ID, OX_ID) when rx_id
 * is FC_XID_UNKNOWN. NULL if no such exchange is open. */
struct fc_exch *fc_exch_find(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id,
			     uint16_t rx_id);
/* ABTS: mark it aborted (the caller answers BA_ACC). The owner still calls
 * fc_exch_done when it has finished with the exchange. */
void fc_exch_abort(struct fc_exch_mgr *m, struct fc_exch *x);
/* The owner is finished: free it, or hold the recovery qualifier of an
 * aborted exchange for R_A_TOV. */
void fc_exch_done(struct fc_exch_mgr *m, struct fc_exch *x, uint64_t now_ms);
/* RRQ for (s_id, ox_id, rx_id): releases a held qualifier. 0, or -ENOENT. */
int fc_exch_rrq(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id, uint16_t rx_id);
/* Release qualifiers whose R_A_TOV passed; returns how many. */
unsigned fc_exch_expire(struct fc_exch_mgr *m, uint64_t now_ms);
/* Every exchange of s_id (LOGO, PRLO, port gone): aborted for its owner;
 * calls cb for each open one. */
void fc_exch_drop_port(struct fc_exch_mgr *m, uint32_t s_id,
		       void (*cb)(struct fc_exch *x, void *arg), void *arg);

/* Incoming data frame sequence checks (FC-FS-3 class 3, in-order delivery
 * not assumed): returns 0 if (seq_id, seq_cnt) is the next frame of the
 * current or a new sequence, -EPROTO otherwise. */
int fc_exch_rx_frame(struct fc_exch *x, uint8_t seq_id, uint16_t seq_cnt, bool first,
		     bool end_seq);

#endif
