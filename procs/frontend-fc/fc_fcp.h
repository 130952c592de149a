/* FCP-4 information units: FCP_CMND (decoded), FCP_XFER_RDY and FCP_RSP
 * (encoded, and decoded for test initiators). Pure code, hostile input. */
#ifndef MTGT_FC_FCP_H
#define MTGT_FC_FCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FCP_CMND_MIN_LEN  32
#define FCP_CDB_MAX       268  /* 16 + the largest additional CDB (63 words) */
#define FCP_XFER_RDY_LEN  12
#define FCP_RSP_HDR_LEN   24

/* task attribute (byte 9, bits 2..0) */
enum fcp_attr {
	FCP_ATTR_SIMPLE = 0,
	FCP_ATTR_HEAD   = 1,
	FCP_ATTR_ORDERED = 2,
	FCP_ATTR_ACA    = 4,
};

/* task management flags (byte 10) */
#define FCP_TMF_ABORT_TASK_SET 0x02
#define FCP_TMF_CLEAR_TASK_SET 0x04
#define FCP_TMF_LUN_RESET      0x10
#define FCP_TMF_TARGET_RESET   0x20 /* obsolete in FCP-4 */
#define FCP_TMF_CLEAR_ACA      0x40

struct fcp_cmnd {
	uint64_t lun;        /* as on the wire (SAM-5 format, big-endian) */
	uint8_t  crn;
	uint8_t  priority;
	uint8_t  attr;       /* enum fcp_attr */
	uint8_t  tmf;        /* FCP_TMF_*, 0: a command */
	bool     rd, wr;
	uint8_t  cdb[FCP_CDB_MAX];
	uint32_t cdb_len;
	uint32_t dl;         /* FCP_DL */
	uint32_t bidi_read_dl;
};

/* -EINVAL: too short for its additional CDB length, a reserved task
 * attribute, more than one TMF flag, a TMF with RD/WR or a CDB. */
int fcp_cmnd_decode(const uint8_t *p, size_t len, struct fcp_cmnd *c);
/* For test initiators: returns the IU length or -EMSGSIZE. */
int fcp_cmnd_encode(const struct fcp_cmnd *c, uint8_t *out, size_t cap);

void fcp_xfer_rdy_encode(uint32_t offset, uint32_t burst, uint8_t out[FCP_XFER_RDY_LEN]);
int fcp_xfer_rdy_decode(const uint8_t *p, size_t len, uint32_t *offset, uint32_t *burst);

/* FCP_RSP flags (byte 10) */
#define FCP_RSP_LEN_VALID   0x01
#define FCP_SNS_LEN_VALID   0x02
#define FCP_RESID_OVER      0x04
#define FCP_RESID_UNDER     0x08
#define FCP_CONF_REQ        0x10

/* RSP_CODE in the response info */
enum fcp_rsp_code {
	FCP_RSP_TMF_COMPLETE   = 0x00,
	FCP_RSP_BAD_DATA_RO    = 0x01, /* data relative offset / burst mismatch */
	FCP_RSP_BAD_CMND       = 0x02, /* FCP_CMND fields invalid */
	FCP_RSP_TMF_REJECTED   = 0x04, /* not supported */
	FCP_RSP_TMF_FAILED     = 0x05,
	FCP_RSP_TMF_SUCCEEDED  = 0x08,
	FCP_RSP_TMF_INCORRECT_LUN = 0x09,
};

struct fcp_rsp {
	uint8_t  status;
	uint8_t  flags;        /* FCP_RESID_* (the length flags are derived) */
	uint32_t resid;
	bool     has_rsp_code;
	uint8_t  rsp_code;
	const uint8_t *sense;
	uint32_t sense_len;
};

/* Returns the IU length, sense cut to what fits in max_len (the initiator's
 * receive size), or -EMSGSIZE. */
int fcp_rsp_encode(const struct fcp_rsp *r, uint8_t *out, size_t max_len);
int fcp_rsp_decode(const uint8_t *p, size_t len, struct fcp_rsp *r);

#endif
