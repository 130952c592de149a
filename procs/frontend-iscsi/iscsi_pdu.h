/* iSCSI PDU layouts (RFC 7143 section 11): the 48-byte Basic Header Segment,
 * opcodes, flag bits and big-endian field helpers. Pure: no I/O here. */
#ifndef MTGT_ISCSI_PDU_H
#define MTGT_ISCSI_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISCSI_BHS_LEN       48u
#define ISCSI_AHS_MAX       (255u * 4u)   /* TotalAHSLength is one byte of words */
#define ISCSI_DSL_MAX       0xffffffu     /* DataSegmentLength is 24 bits */
#define ISCSI_RSVD_TAG      0xffffffffu

/* initiator opcodes */
enum {
	ISCSI_OP_NOP_OUT   = 0x00,
	ISCSI_OP_SCSI_CMD  = 0x01,
	ISCSI_OP_TMF_REQ   = 0x02,
	ISCSI_OP_LOGIN_REQ = 0x03,
	ISCSI_OP_TEXT_REQ  = 0x04,
	ISCSI_OP_DATA_OUT  = 0x05,
	ISCSI_OP_LOGOUT_REQ = 0x06,
	ISCSI_OP_SNACK     = 0x10,
};
/* target opcodes */
enum {
	ISCSI_OP_NOP_IN    = 0x20,
	ISCSI_OP_SCSI_RSP  = 0x21,
	ISCSI_OP_TMF_RSP   = 0x22,
	ISCSI_OP_LOGIN_RSP = 0x23,
	ISCSI_OP_TEXT_RSP  = 0x24,
	ISCSI_OP_DATA_IN   = 0x25,
	ISCSI_OP_LOGOUT_RSP = 0x26,
	ISCSI_OP_R2T       = 0x31,
	ISCSI_OP_ASYNC     = 0x32,
	ISCSI_OP_REJECT    = 0x3f,
};

#define ISCSI_OP_MASK      0x3f
#define ISCSI_OP_IMMEDIATE 0x40
#define ISCSI_FLAG_FINAL   0x80

/* SCSI Command byte 1 */
#define ISCSI_CMD_READ     0x40
#define ISCSI_CMD_WRITE    0x20
#define ISCSI_CMD_ATTR_MASK 0x07

/* SCSI Response / Data-In byte 1 */
#define ISCSI_RSP_BIDI_OVERFLOW  0x10
#define ISCSI_RSP_BIDI_UNDERFLOW 0x08
#define ISCSI_RSP_OVERFLOW       0x04
#define ISCSI_RSP_UNDERFLOW      0x02
#define ISCSI_DATAIN_ACK         0x40
#define ISCSI_DATAIN_STATUS      0x01

/* Login / Text byte 1 */
#define ISCSI_LOGIN_TRANSIT  0x80
#define ISCSI_LOGIN_CONTINUE 0x40
#define ISCSI_LOGIN_CSG(b)   (((b) >> 2) & 3)
#define ISCSI_LOGIN_NSG(b)   ((b) & 3)
#define ISCSI_TEXT_CONTINUE  0x40

enum { ISCSI_STAGE_SECURITY = 0, ISCSI_STAGE_OPERATIONAL = 1, ISCSI_STAGE_FULL = 3 };

/* AHS types */
#define ISCSI_AHS_EXT_CDB    1
#define ISCSI_AHS_BIDI_RLEN  2

/* Login status (class << 8 | detail) */
enum {
	ISCSI_LOGIN_OK                 = 0x0000,
	ISCSI_LOGIN_TARGET_MOVED_TEMP  = 0x0101,
	ISCSI_LOGIN_TARGET_MOVED_PERM  = 0x0102,
	ISCSI_LOGIN_INITIATOR_ERROR    = 0x0200,
	ISCSI_LOGIN_AUTH_FAILED        = 0x0201,
	ISCSI_LOGIN_NOT_AUTHORIZED     = 0x0202,
	ISCSI_LOGIN_NOT_FOUND          = 0x0203,
	ISCSI_LOGIN_TARGET_REMOVED     = 0x0204,
	ISCSI_LOGIN_UNSUPPORTED_VERSION = 0x0205,
	ISCSI_LOGIN_TOO_MANY_CONNS     = 0x0206,
	ISCSI_LOGIN_MISSING_PARAM      = 0x0207,
	ISCSI_LOGIN_NO_SESSION_SPAN    = 0x0208,
	ISCSI_LOGIN_SESSION_TYPE_UNSUPPORTED = 0x0209,
	ISCSI_LOGIN_NO_SUCH_SESSION    = 0x020a,
	ISCSI_LOGIN_INVALID_DURING_LOGIN = 0x020b,
	ISCSI_LOGIN_TARGET_ERROR       = 0x0300,
	ISCSI_LOGIN_SERVICE_UNAVAILABLE = 0x0301,
	ISCSI_LOGIN_OUT_OF_RESOURCES   = 0x0302,
};

/* Reject reasons */
enum {
	ISCSI_REJECT_DATA_DIGEST   = 0x02,
	ISCSI_REJECT_SNACK         = 0x03,
	ISCSI_REJECT_PROTOCOL      = 0x04,
	ISCSI_REJECT_CMD_NOT_SUPPORTED = 0x05,
	ISCSI_REJECT_IMM_CMD       = 0x06,
	ISCSI_REJECT_TASK_IN_PROGRESS = 0x07,
	ISCSI_REJECT_INVALID_DATA_ACK = 0x08,
	ISCSI_REJECT_INVALID_FIELD = 0x09,
	ISCSI_REJECT_LONG_OP       = 0x0a,
	ISCSI_REJECT_WAITING_LOGOUT = 0x0c,
};

/* TMF functions and responses */
enum {
	ISCSI_TMF_ABORT_TASK = 1,
	ISCSI_TMF_ABORT_TASK_SET = 2,
	ISCSI_TMF_CLEAR_ACA = 3,
	ISCSI_TMF_CLEAR_TASK_SET = 4,
	ISCSI_TMF_LUN_RESET = 5,
	ISCSI_TMF_TARGET_WARM_RESET = 6,
	ISCSI_TMF_TARGET_COLD_RESET = 7,
	ISCSI_TMF_TASK_REASSIGN = 8,
};
enum {
	ISCSI_TMF_RSP_COMPLETE = 0,
	ISCSI_TMF_RSP_NO_TASK = 1,
	ISCSI_TMF_RSP_NO_LUN = 2,
	ISCSI_TMF_RSP_ALLEGIANT = 3,
	ISCSI_TMF_RSP_NO_REASSIGN = 4,
	ISCSI_TMF_RSP_NOT_SUPPORTED = 5,
	ISCSI_TMF_RSP_AUTH_FAILED = 6,
	ISCSI_TMF_RSP_REJECTED = 255,
};

/* Logout reasons and responses */
enum { ISCSI_LOGOUT_CLOSE_SESSION = 0, ISCSI_LOGOUT_CLOSE_CONN = 1,
       ISCSI_LOGOUT_RECOVERY = 2 };
enum { ISCSI_LOGOUT_RSP_OK = 0, ISCSI_LOGOUT_RSP_NO_CID = 1,
       ISCSI_LOGOUT_RSP_NO_RECOVERY = 2, ISCSI_LOGOUT_RSP_FAILED = 3 };

static inline uint16_t iscsi_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t iscsi_get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t iscsi_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t iscsi_get64(const uint8_t *p)
{
	return (uint64_t)iscsi_get32(p) << 32 | iscsi_get32(p + 4);
}
static inline void iscsi_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}
static inline void iscsi_put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v;
}
static inline void iscsi_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void iscsi_put64(uint8_t *p, uint64_t v)
{
	iscsi_put32(p, (uint32_t)(v >> 32)); iscsi_put32(p + 4, (uint32_t)v);
}

/* Serial number arithmetic (RFC 1982, 32 bits) for CmdSN/StatSN windows. */
static inline bool iscsi_sn_lt(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) < 0;
}
static inline bool iscsi_sn_le(uint32_t a, uint32_t b)
{
	return a == b || iscsi_sn_lt(a, b);
}

static inline uint32_t iscsi_pad4(uint32_t n)
{
	return (4 - (n & 3)) & 3;
}

/* The fields every BHS has, decoded. */
struct iscsi_bhs_info {
	uint8_t  opcode;
	bool     immediate;
	bool     final;
	uint32_t ahs_len;   /* bytes */
	uint32_t data_len;  /* bytes, without padding */
	uint32_t itt;
};

void iscsi_bhs_decode(const uint8_t *bhs, struct iscsi_bhs_info *out);
/* Zero a BHS and set opcode, flags byte and data segment length. */
void iscsi_bhs_init(uint8_t *bhs, uint8_t opcode, uint8_t flags, uint32_t dlen);
/* Is this an opcode an initiator may send? */
bool iscsi_op_is_initiator(uint8_t opcode);

/* The CDB of a SCSI Command: the 16 bytes in the BHS plus an optional
 * Extended CDB AHS. Returns the CDB length (16..max) or -EINVAL when the AHS is
 * malformed or the CDB is longer than max. */
int iscsi_cdb_extract(const uint8_t *bhs, const uint8_t *ahs, uint32_t ahs_len,
		      uint8_t *cdb, size_t max);

/* Residual for a command: compares what the initiator expected (edtl) with what
 * the CDB asked for (xfer, 0 = unknown: fall back to `done`, the bytes actually
 * moved). Returns the flags byte bits (ISCSI_RSP_OVERFLOW/UNDERFLOW) and sets
 * *residual. */
uint8_t iscsi_residual(uint32_t edtl, uint32_t xfer, uint32_t done,
		       uint32_t *residual);

const char *iscsi_op_name(uint8_t opcode);

#endif
