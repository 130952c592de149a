/* FC-GS-7 Common Transport (CT_IU) for the directory (name) server, and the
 * fabric ELSs that go with fabric login (SCR, RSCN). Pure code: building
 * and parsing, hostile input expected. Used by the target's fabric login
 * (fc_fabric.c) and by the test's fake name server. */
#ifndef MTGT_FC_CT_H
#define MTGT_FC_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-fc/fc_els.h" /* ELS_SCR, ELS_RSCN */
#include "procs/frontend-fc/fc_frame.h"

#define FC_CT_HDR_LEN    16
#define FC_CT_REV        0x01
#define FC_GS_DIR        0xfc  /* GS_Type: directory service */
#define FC_GS_NAME       0x02  /* GS_Subtype: name server */
#define FC_RCTL_CT_REQ   FC_RCTL_DD_UNSOL_CTL
#define FC_RCTL_CT_REP   FC_RCTL_DD_SOL_CTL

enum fc_ct_cmd {
	CT_GPN_ID  = 0x0112,
	CT_GID_FT  = 0x0171,
	CT_RFT_ID  = 0x0217,
	CT_RSPN_ID = 0x0218,
	CT_RFF_ID  = 0x021f,
	CT_ACCEPT  = 0x8002,
	CT_REJECT  = 0x8001,
};

/* CT reject reasons and explanations (FC-GS-7 4.4.3) */
#define CT_RJT_UNABLE        0x09
#define CT_RJT_CMD_NOT_SUPP  0x0b
#define CT_RJT_PROTOCOL      0x03
#define CT_EXPL_NONE         0x00
#define CT_EXPL_PID_NOT_REG  0x01
#define CT_EXPL_TYPE_NOT_REG 0x07

#define FC_FF_TARGET     0x01  /* RFF_ID FC-4 feature bits */
#define FC_FF_INITIATOR  0x02

struct fc_ct_hdr {
	uint8_t  gs_type, gs_subtype;
	uint16_t cmd;            /* request code, or CT_ACCEPT/CT_REJECT */
	uint16_t max_size;       /* words (requests) or residual (replies) */
	uint8_t  reason, expl;
};

/* Header + payload; returns the length or -EMSGSIZE. */
int fc_ct_encode(const struct fc_ct_hdr *h, const uint8_t *pl, size_t len, uint8_t *out,
		 size_t cap);
/* -EINVAL: short, wrong revision. pl and pl_len: the payload after the header. */
int fc_ct_decode(const uint8_t *in, size_t len, struct fc_ct_hdr *h, const uint8_t **pl,
		 size_t *pl_len);

/* Request payloads. Each returns its length. */
#define FC_RFT_ID_LEN 36
size_t fc_rft_id_encode(uint32_t port_id, uint8_t fc4_type, uint8_t out[FC_RFT_ID_LEN]);
#define FC_RFF_ID_LEN 8
size_t fc_rff_id_encode(uint32_t port_id, uint8_t features, uint8_t fc4_type,
			uint8_t out[FC_RFF_ID_LEN]);
#define FC_RSPN_ID_MAX (4 + 1 + 255)
size_t fc_rspn_id_encode(uint32_t port_id, const char *name, uint8_t out[FC_RSPN_ID_MAX]);
#define FC_GID_FT_LEN 4
size_t fc_gid_ft_encode(uint8_t fc4_type, uint8_t out[FC_GID_FT_LEN]);
#define FC_GPN_ID_LEN 4
size_t fc_gpn_id_encode(uint32_t port_id, uint8_t out[FC_GPN_ID_LEN]);

/* Request payload parsing (the name-server side). -EINVAL: short or bad. */
int fc_rft_id_decode(const uint8_t *p, size_t len, uint32_t *port_id, uint32_t types[8]);
int fc_rff_id_decode(const uint8_t *p, size_t len, uint32_t *port_id, uint8_t *features,
		     uint8_t *fc4_type);
int fc_port_id_decode(const uint8_t *p, size_t len, uint32_t *port_id); /* GPN_ID */
int fc_gid_ft_decode(const uint8_t *p, size_t len, uint8_t *fc4_type);

/* GID_FT accept: port ids, the last with the control bit. Decode returns
 * the number of ids (at most max), -EINVAL when no entry carries the last
 * bit within len. */
size_t fc_gid_ft_acc_encode(const uint32_t *ids, size_t n, uint8_t *out, size_t cap);
int fc_gid_ft_acc_decode(const uint8_t *p, size_t len, uint32_t *ids, size_t max);

/* ELS SCR (FC-LS-3 4.2.34): register for RSCNs. */
#define FC_SCR_LEN       8
#define FC_SCR_FULL      0x03
void fc_scr_encode(uint8_t function, uint8_t out[FC_SCR_LEN]);
int fc_scr_decode(const uint8_t *p, size_t len, uint8_t *function);

/* ELS RSCN: affected address pages. Format: 0 port, 1 area, 2 domain,
 * 3 fabric (everything). */
enum fc_rscn_fmt { RSCN_PORT = 0, RSCN_AREA = 1, RSCN_DOMAIN = 2, RSCN_FABRIC = 3 };
struct fc_rscn_page {
	uint8_t  fmt;
	uint32_t id;
};
#define FC_RSCN_MAX_PAGES 64
/* Returns the number of pages, -EINVAL when malformed. */
int fc_rscn_decode(const uint8_t *p, size_t len, struct fc_rscn_page *pages, size_t max);
size_t fc_rscn_encode(const struct fc_rscn_page *pages, size_t n, uint8_t *out, size_t cap);
/* Does page pg name N_Port id id? */
bool fc_rscn_match(const struct fc_rscn_page *pg, uint32_t id);

#endif
