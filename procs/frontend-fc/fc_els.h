/* Extended link services (FC-LS-3) and basic link services (FC-FS-3) that an
 * FCP target port needs: payload codecs only. Pure code, hostile input. */
#ifndef MTGT_FC_ELS_H
#define MTGT_FC_ELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fc_els_cmd {
	ELS_LS_RJT = 0x01,
	ELS_LS_ACC = 0x02,
	ELS_PLOGI  = 0x03,
	ELS_FLOGI  = 0x04,
	ELS_LOGO   = 0x05,
	ELS_RRQ    = 0x12,
	ELS_PRLI   = 0x20,
	ELS_PRLO   = 0x21,
	ELS_FDISC  = 0x51,
	ELS_ADISC  = 0x52,
	ELS_RSCN   = 0x61,
	ELS_SCR    = 0x62,
};

/* LS_RJT reason codes and explanations (FC-LS-3 table 11, 12) */
enum fc_ls_rjt_reason {
	LS_RJT_INVALID_CMD   = 0x01,
	LS_RJT_LOGICAL_ERR   = 0x03,
	LS_RJT_LOGICAL_BUSY  = 0x05,
	LS_RJT_PROTOCOL_ERR  = 0x07,
	LS_RJT_UNABLE        = 0x09,
	LS_RJT_NOT_SUPPORTED = 0x0b,
};

enum fc_ls_rjt_expl {
	LS_EXPL_NONE           = 0x00,
	LS_EXPL_SPARM_OPTIONS  = 0x01, /* service parameter error: options */
	LS_EXPL_SPARM_RECV_SIZE = 0x07,
	LS_EXPL_INVALID_PNAME  = 0x0d,
	LS_EXPL_INVALID_NPORT  = 0x1f, /* invalid N_Port identifier */
	LS_EXPL_NO_LOGIN       = 0x1e, /* N_Port login required */
	LS_EXPL_INSUFF_RES     = 0x29,
	LS_EXPL_CMD_IN_PROGRESS = 0x19,
	LS_EXPL_INVALID_OXRX   = 0x17, /* invalid OX_ID-RX_ID combination */
};

#define FC_SPARM_LEN  116 /* FLOGI/PLOGI/their LS_ACC payload */

/* common features */
#define FC_SP_FT_CIRO   0x8000 /* continuously increasing relative offset */
#define FC_SP_FT_CLAD   0x4000 /* clean address (FLOGI) */
#define FC_SP_FT_FPORT  0x1000 /* sent by an F_Port */
#define FC_SP_FT_EDTR   0x0400 /* E_D_TOV resolution: ns */
/* class 3 service options */
#define FC_CPSP_VALID   0x8000
#define FC_CPSP_SEQ_DEL 0x0800

struct fc_sparm {
	uint8_t  ver_hi, ver_lo;
	uint16_t bb_credit;
	uint16_t features;
	uint16_t rx_size;        /* common receive data field size (12 bits) */
	uint16_t max_seq;        /* total concurrent sequences */
	uint16_t rel_off;        /* relative offset by info category */
	uint32_t e_d_tov;        /* ms (R_A_TOV in a fabric's FLOGI LS_ACC word) */
	uint64_t port_name, node_name;
	bool     class3;
	uint16_t c3_options;
	uint16_t c3_rx_size;
	uint16_t c3_conc_seq;
	uint16_t c3_open_seq;
};

/* FLOGI, FDISC, PLOGI and their LS_ACC share one layout. */
int fc_sparm_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_sparm *sp);
void fc_sparm_encode(uint8_t cmd, const struct fc_sparm *sp, uint8_t out[FC_SPARM_LEN]);

/* PRLI / PRLO with one FCP service parameter page. */
#define FC_PRLI_LEN     20
#define FCP_SPPF_ORIG_PA   0x8000
#define FCP_SPPF_RESP_PA   0x4000
#define FCP_SPPF_EST_IMAGE 0x2000
/* response code in bits 11..8 of the page flags */
enum fc_prli_resp {
	PRLI_RESP_ACCEPT       = 1,
	PRLI_RESP_NO_RESOURCES = 2,
	PRLI_RESP_INIT_NOT_DONE = 3,
	PRLI_RESP_NO_SUCH_PA   = 4,
	PRLI_RESP_PRECONFIG    = 5,
	PRLI_RESP_COND         = 6,
	PRLI_RESP_INVALID_PARAM = 7,
};
/* FCP service parameters (word 3 of the page) */
#define FCP_SPP_CONF_COMPL   0x0080
#define FCP_SPP_DATA_OVERLAY 0x0040
#define FCP_SPP_INIT_FCN     0x0020
#define FCP_SPP_TARGET_FCN   0x0010
#define FCP_SPP_RD_XRDY_DIS  0x0002
#define FCP_SPP_WR_XRDY_DIS  0x0001

struct fc_prli_page {
	uint8_t  type;      /* FC_TYPE_FCP */
	uint16_t flags;     /* FCP_SPPF_*, response code in bits 11..8 */
	uint32_t orig_pa, resp_pa;
	uint32_t sparams;   /* FCP_SPP_* */
};

/* -EINVAL for a bad page length, payload length or page count. */
int fc_prli_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_prli_page *pg);
void fc_prli_encode(uint8_t cmd, const struct fc_prli_page *pg, uint8_t out[FC_PRLI_LEN]);

/* LOGO: N_Port id and port name of the port logging out. */
#define FC_LOGO_LEN 16
int fc_logo_decode(const uint8_t *p, size_t len, uint32_t *nport_id, uint64_t *port_name);
void fc_logo_encode(uint32_t nport_id, uint64_t port_name, uint8_t out[FC_LOGO_LEN]);

/* ADISC and its LS_ACC. */
#define FC_ADISC_LEN 28
struct fc_adisc {
	uint32_t hard_addr;
	uint64_t port_name, node_name;
	uint32_t nport_id;
};
int fc_adisc_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_adisc *a);
void fc_adisc_encode(uint8_t cmd, const struct fc_adisc *a, uint8_t out[FC_ADISC_LEN]);

/* RRQ: the exchange the originator wants to reuse. */
#define FC_RRQ_LEN 12
int fc_rrq_decode(const uint8_t *p, size_t len, uint32_t *s_id, uint16_t *ox_id,
		  uint16_t *rx_id);

#define FC_LS_RJT_LEN 8
void fc_ls_rjt_encode(uint8_t reason, uint8_t expl, uint8_t out[FC_LS_RJT_LEN]);

/* BA_ACC / BA_RJT answering an ABTS (FC-FS-3 15.3). */
#define FC_BA_ACC_LEN 12
#define FC_BA_RJT_LEN 4
enum fc_ba_rjt_reason {
	BA_RJT_INVALID_CMD  = 0x01,
	BA_RJT_LOGICAL_ERR  = 0x03,
	BA_RJT_LOGICAL_BUSY = 0x05,
	BA_RJT_PROTOCOL_ERR = 0x07,
	BA_RJT_UNABLE       = 0x09,
};
enum fc_ba_rjt_expl {
	BA_RJT_EXPL_NONE     = 0x00,
	BA_RJT_EXPL_INV_OXRX = 0x03,
	BA_RJT_EXPL_SEQ_ABORTED = 0x05,
};
void fc_ba_acc_encode(uint16_t ox_id, uint16_t rx_id, uint8_t out[FC_BA_ACC_LEN]);
void fc_ba_rjt_encode(uint8_t reason, uint8_t expl, uint8_t out[FC_BA_RJT_LEN]);

#endif
