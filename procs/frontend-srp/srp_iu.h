/* SRP information units (T10 SRP r16a and SRP-2, as the Linux ib_srp
 * initiator speaks them): layouts, decoding of what an initiator sends and
 * encoding of what the target sends. Pure: no I/O, no allocation, so it is
 * unit-tested and fuzzed on its own. Every field of a received IU is checked
 * here; the rest of the frontend only sees decoded, bounded values. */
#ifndef MTGT_SRP_IU_H
#define MTGT_SRP_IU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum srp_opcode {
	SRP_OP_LOGIN_REQ = 0x00,
	SRP_OP_TSK_MGMT = 0x01,
	SRP_OP_CMD = 0x02,
	SRP_OP_I_LOGOUT = 0x03,
	SRP_OP_LOGIN_RSP = 0xc0,
	SRP_OP_RSP = 0xc1,
	SRP_OP_LOGIN_REJ = 0xc2,
	SRP_OP_T_LOGOUT = 0x80,
	SRP_OP_CRED_REQ = 0x81,
	SRP_OP_AER_REQ = 0x82,
	SRP_OP_CRED_RSP = 0x41,
	SRP_OP_AER_RSP = 0x42,
};

/* LOGIN_REQ buffer formats (bit mask) and per-command descriptor formats */
#define SRP_BUF_FMT_DIRECT   0x0002
#define SRP_BUF_FMT_INDIRECT 0x0004
enum srp_desc_fmt { SRP_DESC_NONE = 0, SRP_DESC_DIRECT = 1, SRP_DESC_INDIRECT = 2,
		    SRP_DESC_IMM = 3 };

/* LOGIN_REQ flags */
#define SRP_LOGIN_MULTICHAN_MASK 0x03
#define SRP_LOGIN_MULTI          0x01
#define SRP_LOGIN_IMMED_REQ      0x80
/* LOGIN_RSP flags */
#define SRP_RSPF_NO_CHAN     0x00
#define SRP_RSPF_TERMINATED  0x01
#define SRP_RSPF_MAINTAINED  0x02
#define SRP_RSPF_IMMED_SUPP  0x80

enum srp_rej_reason {
	SRP_REJ_UNABLE_ESTABLISH = 0x00010000,
	SRP_REJ_NO_RESOURCES = 0x00010001,
	SRP_REJ_IU_TOO_LARGE = 0x00010002,  /* also: too small to be usable */
	SRP_REJ_UNABLE_ASSOCIATE = 0x00010003, /* wrong target port id */
	SRP_REJ_BAD_BUF_FMT = 0x00010004,
	SRP_REJ_MULTI_UNSUPPORTED = 0x00010005,
	SRP_REJ_CHANNEL_LIMIT = 0x00010006,
};

/* T_LOGOUT reasons (SRP r16a 6.10) */
enum srp_tlogout_reason {
	SRP_TLO_NONE = 0,
	SRP_TLO_INACTIVE = 1,
	SRP_TLO_BAD_IU_TYPE = 2,
	SRP_TLO_UNEXPECTED_RSP = 3,
	SRP_TLO_MULTICHANNEL = 4,
	SRP_TLO_BAD_DOUT_FMT = 6,
	SRP_TLO_BAD_DIN_FMT = 7,
	SRP_TLO_BAD_IU_LEN = 8,
};

enum srp_tmf_fn {
	SRP_TMF_ABORT_TASK = 0x01,
	SRP_TMF_ABORT_TASK_SET = 0x02,
	SRP_TMF_CLEAR_TASK_SET = 0x04,
	SRP_TMF_LUN_RESET = 0x08,
	SRP_TMF_CLEAR_ACA = 0x40,
};

/* RSP response codes (response data of a TSK_MGMT answer) */
enum srp_rsp_code {
	SRP_RC_COMPLETE = 0x00,
	SRP_RC_INVALID_IU = 0x02,
	SRP_RC_NOT_SUPPORTED = 0x04,
	SRP_RC_FAILED = 0x05,
	SRP_RC_SUCCEEDED = 0x08,
	SRP_RC_BAD_LUN = 0x09,
};

/* RSP flags */
#define SRP_RSP_RSPVALID 0x01
#define SRP_RSP_SNSVALID 0x02
#define SRP_RSP_DOOVER   0x04
#define SRP_RSP_DOUNDER  0x08
#define SRP_RSP_DIOVER   0x10
#define SRP_RSP_DIUNDER  0x20

#define SRP_LOGIN_REQ_LEN      64
#define SRP_LOGIN_REQ_RDMA_LEN 56  /* RDMA CM private data form */
#define SRP_LOGIN_RSP_LEN      52
#define SRP_LOGIN_REJ_LEN      32
#define SRP_I_LOGOUT_LEN       16
#define SRP_T_LOGOUT_LEN       16
#define SRP_TSK_MGMT_LEN       48
#define SRP_CMD_LEN            48  /* without additional CDB and descriptors */
#define SRP_RSP_LEN            36
#define SRP_CRED_REQ_LEN       16
#define SRP_CRED_RSP_LEN       16
#define SRP_AER_REQ_LEN        36
#define SRP_AER_RSP_LEN        16
#define SRP_DESC_LEN           16  /* direct descriptor: va, rkey, len */
#define SRP_MIN_IU_LEN         64  /* smallest max_it_iu_len a login may ask */

#define SRP_PORT_ID_LEN 16
#define SRP_CDB_MAX     (16 + 4 * 63) /* 16 + additional CDB (6 bits of dwords) */
/* descriptors we accept in one command (a table fetched from the initiator
 * when it is not all in the IU) */
#define SRP_MAX_DESC    256

struct srp_login_req {
	uint64_t tag;            /* opaque, echoed */
	uint32_t it_iu_len;
	uint16_t buf_fmt;
	uint8_t  flags;
	uint16_t imm_off;        /* SRP-2: where immediate data starts in a CMD IU */
	uint8_t  ini_port[SRP_PORT_ID_LEN];
	uint8_t  tgt_port[SRP_PORT_ID_LEN];
};

struct srp_desc {
	uint64_t va;
	uint32_t rkey;
	uint32_t len;
};

/* A decoded data buffer (one direction) of a CMD IU. */
struct srp_buf {
	uint8_t  fmt;            /* enum srp_desc_fmt */
	uint32_t total;          /* bytes the initiator offers */
	/* direct, or indirect with the whole table in the IU: the descriptors */
	uint32_t ndesc;
	const uint8_t *desc;     /* raw descriptors inside the IU (16 bytes each) */
	/* indirect: where the full table lives in initiator memory */
	struct srp_desc table;
	bool     fetch;          /* table longer than what is in the IU */
	/* immediate (data-out only) */
	uint32_t imm_off;
};

struct srp_cmd_iu {
	uint64_t tag;
	uint64_t lun;            /* 8-byte SAM LUN as a big-endian value */
	uint8_t  attr;           /* SAM task attribute code 0,1,2,4 */
	uint8_t  sol_not;
	uint32_t cdb_len;
	const uint8_t *cdb;
	struct srp_buf out;
	struct srp_buf in;
};

struct srp_tmf_iu {
	uint64_t tag;
	uint64_t lun;
	uint8_t  fn;
	uint64_t task_tag;
};

/* Errors of srp_decode_cmd(), each with its answer: */
enum srp_cmd_err {
	SRP_CMD_OK = 0,
	SRP_CMD_BAD_LEN,        /* IU shorter than its own fields say: T_LOGOUT 8 */
	SRP_CMD_BAD_DOUT_FMT,   /* format not negotiated / unknown: T_LOGOUT 6 */
	SRP_CMD_BAD_DIN_FMT,    /* T_LOGOUT 7 */
	SRP_CMD_BAD_FIELD,      /* descriptor counts, table sizes, task attribute,
				 * both directions, immediate data misuse:
				 * CHECK CONDITION, INVALID FIELD IN COMMAND IU */
};

static inline uint16_t srp_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t srp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t srp_get64(const uint8_t *p)
{
	return (uint64_t)srp_get32(p) << 32 | srp_get32(p + 4);
}
void srp_put16(uint8_t *p, uint16_t v);
void srp_put32(uint8_t *p, uint32_t v);
void srp_put64(uint8_t *p, uint64_t v);
/* Tags are opaque: copied byte for byte, kept in host memory order. */
uint64_t srp_get_tag(const uint8_t *p);
void srp_put_tag(uint8_t *p, uint64_t tag);

/* A 16-byte descriptor at p. */
void srp_desc_get(const uint8_t *p, struct srp_desc *d);
void srp_desc_put(uint8_t *p, const struct srp_desc *d);

/* LOGIN_REQ in either the 64-byte IU form or the 56-byte RDMA CM form.
 * -EINVAL when neither length/opcode fits. Policy (lengths, formats, port
 * ids) is the caller's: the decoder reports values, not verdicts. */
int  srp_decode_login(const uint8_t *p, size_t len, struct srp_login_req *out);
size_t srp_encode_login_req(uint8_t *p, const struct srp_login_req *r, bool rdma_form);

/* The opcode of an IU, or -EINVAL when it is shorter than the fixed part of
 * its type (the minimum lengths above). */
int  srp_iu_check(const uint8_t *p, size_t len);

/* SRP_CMD. formats: the buffer formats negotiated at login; imm_off: the
 * negotiated immediate-data offset, 0 when immediate data is off. */
enum srp_cmd_err srp_decode_cmd(const uint8_t *p, size_t len, uint16_t formats,
				uint16_t imm_off, struct srp_cmd_iu *out);
int  srp_decode_tmf(const uint8_t *p, size_t len, struct srp_tmf_iu *out);

size_t srp_encode_login_rsp(uint8_t *p, uint64_t tag, uint32_t req_lim, uint32_t max_it,
			    uint32_t max_ti, uint16_t buf_fmt, uint8_t flags);
size_t srp_encode_login_rej(uint8_t *p, uint64_t tag, uint32_t reason, uint16_t buf_fmt);
size_t srp_encode_t_logout(uint8_t *p, uint32_t reason);
size_t srp_encode_cred_req(uint8_t *p, uint64_t tag, uint32_t delta);
size_t srp_encode_aer_req(uint8_t *p, size_t cap, uint64_t tag, uint32_t delta, uint64_t lun,
			  const uint8_t *sense, uint32_t sense_len);

/* SRP_RSP for a command: residuals from what the initiator offered (edtl of
 * each direction), what the CDB asked (cdb_len; 0 = unknown: use the
 * transferred count) and what moved. Sense is cut to fit max_ti (the
 * initiator's max_ti_iu_len). Returns the IU length. */
struct srp_rsp_info {
	uint64_t tag;
	uint32_t delta;
	uint8_t  status;
	uint8_t  dir;            /* 0 none, 1 data-in, 2 data-out (msg_dir) */
	uint32_t offered;        /* descriptor total of that direction */
	uint32_t cdb_xfer;       /* what the CDB asked for; 0 when not decoded */
	uint32_t moved;          /* bytes actually transferred */
	const uint8_t *sense;
	uint32_t sense_len;
};
size_t srp_encode_rsp(uint8_t *p, size_t max_ti, const struct srp_rsp_info *ri);
/* SRP_RSP answering a TSK_MGMT: response data with the response code. */
size_t srp_encode_tmf_rsp(uint8_t *p, uint64_t tag, uint32_t delta, uint8_t code);

/* Format a 16-byte port id as 32 lowercase hex digits with "0x" (35 bytes
 * with the NUL); parse the same (or without 0x). */
void srp_port_id_str(const uint8_t id[SRP_PORT_ID_LEN], char out[35]);
int  srp_port_id_parse(const char *s, uint8_t id[SRP_PORT_ID_LEN]);

#endif
