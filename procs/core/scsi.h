/* SCSI device-server emulation shared by the core's scsi_*.c files.
 *
 * Everything declared here is pure: it looks at a logical-unit description and a
 * CDB and writes a result, never touching rings, links or the pool, so the unit
 * tests can drive it directly.
 */
#ifndef MTGT_CORE_SCSI_H
#define MTGT_CORE_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/msg.h"

/* status */
#define SCSI_GOOD            0x00
#define SCSI_CHECK_CONDITION 0x02
#define SCSI_BUSY            0x08
#define SCSI_TASK_SET_FULL   0x28

/* sense keys */
#define SK_NO_SENSE        0x0
#define SK_RECOVERED_ERROR 0x1
#define SK_NOT_READY       0x2
#define SK_MEDIUM_ERROR    0x3
#define SK_HARDWARE_ERROR  0x4
#define SK_ILLEGAL_REQUEST 0x5
#define SK_UNIT_ATTENTION  0x6
#define SK_DATA_PROTECT    0x7
#define SK_ABORTED_COMMAND 0xb
#define SK_MISCOMPARE      0xe

/* additional sense codes, packed asc << 8 | ascq */
#define ASC_NO_ADDITIONAL_SENSE      0x0000
#define ASC_INVALID_FIELD_IN_IU      0x0e03
#define ASC_WRITE_ERROR              0x0c00
#define ASC_UNRECOVERED_READ_ERROR   0x1100
#define ASC_PARAM_LIST_LENGTH_ERROR  0x1a00
#define ASC_INVALID_OPCODE           0x2000
#define ASC_LBA_OUT_OF_RANGE         0x2100
#define ASC_INVALID_FIELD_IN_CDB     0x2400
#define ASC_MISCOMPARE_DURING_VERIFY 0x1d00
#define ASC_LUN_NOT_SUPPORTED        0x2500
#define ASC_INVALID_FIELD_IN_PARAM   0x2600
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x5302
#define ASC_MEDIUM_NOT_PRESENT       0x3a00
#define ASC_MEDIUM_MAY_HAVE_CHANGED  0x2800
#define ASC_DEFECT_LIST_NOT_FOUND    0x1c00
#define ASC_WRITE_PROTECTED          0x2700
#define ASC_SPACE_ALLOC_FAILED_WP    0x2707
#define ASC_POWER_ON_RESET           0x2900
#define ASC_BUS_DEVICE_RESET         0x2903
#define ASC_I_T_NEXUS_LOSS           0x2907
#define ASC_COMMANDS_CLEARED_BY_OTHER 0x2f00
#define ASC_MODE_PARAMS_CHANGED      0x2a01
#define ASC_RESERVATIONS_PREEMPTED   0x2a03
#define ASC_RESERVATIONS_RELEASED    0x2a04
#define ASC_REGISTRATIONS_PREEMPTED  0x2a05
#define ASC_CAPACITY_CHANGED         0x2a09
#define ASC_LUNS_DATA_CHANGED        0x3f0e
#define ASC_INVALID_RELEASE_OF_PR    0x2604
#define ASC_INSUFFICIENT_REG_RESOURCES 0x5504
#define ASC_SAVING_PARAMS_UNSUP      0x3900
#define ASC_INTERNAL_TARGET_FAILURE  0x4400
#define ASC_LU_COMM_FAILURE          0x0800
#define ASC_OUT_OF_RESOURCES         0x5500

#define SCSI_SENSE_FIXED_LEN 18
#define SCSI_SENSE_DESC_LEN  8   /* header only */

/* Largest transfer one command may ask for: what a frontend can buffer. */
#define SCSI_MAX_XFER_BYTES (8u << 20)

/* Opcodes handled (others: INVALID COMMAND OPERATION CODE). */
enum scsi_opcode {
	TEST_UNIT_READY = 0x00,
	REQUEST_SENSE = 0x03,
	READ_6 = 0x08,
	WRITE_6 = 0x0a,
	INQUIRY = 0x12,
	MODE_SENSE_6 = 0x1a,
	READ_CAPACITY_10 = 0x25,
	READ_10 = 0x28,
	WRITE_10 = 0x2a,
	VERIFY_10 = 0x2f,
	SYNCHRONIZE_CACHE_10 = 0x35,
	MODE_SENSE_10 = 0x5a,
	READ_16 = 0x88,
	VERIFY_16 = 0x8f,
	WRITE_16 = 0x8a,
	SYNCHRONIZE_CACHE_16 = 0x91,
	SERVICE_ACTION_IN_16 = 0x9e,
	REPORT_LUNS = 0xa0,
	MAINTENANCE_IN = 0xa3,
	READ_12 = 0xa8,
	WRITE_12 = 0xaa,
	VERIFY_12 = 0xaf,
	/* SBC block commands (scsi_blk.c, scsi_sbc.c) */
	FORMAT_UNIT = 0x04,
	START_STOP_UNIT = 0x1b,
	PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1e,
	WRITE_VERIFY_10 = 0x2e,
	PRE_FETCH_10 = 0x34,
	READ_DEFECT_DATA_10 = 0x37,
	WRITE_SAME_10 = 0x41,
	UNMAP = 0x42,
	SANITIZE = 0x48,
	VARIABLE_LENGTH_CDB = 0x7f,
	COMPARE_AND_WRITE = 0x89,
	ORWRITE_16 = 0x8b,
	WRITE_VERIFY_16 = 0x8e,
	PRE_FETCH_16 = 0x90,
	WRITE_SAME_16 = 0x93,
	WRITE_VERIFY_12 = 0xae,
	READ_DEFECT_DATA_12 = 0xb7,
	WRITE_ATOMIC_16 = 0x9c,        /* scsi_rw.c: a write that is all or nothing */
};
#define SAI_READ_CAPACITY_16 0x10
#define SAI_GET_LBA_STATUS 0x12
#define MI_REPORT_SUPPORTED_OPCODES 0x0c

enum scsi_rotation { SCSI_ROT_NOT_REPORTED = 0, SCSI_ROT_NONE = 1 };

/* What the device server knows about one logical unit. */
struct scsi_lu {
	uint32_t lun;           /* 0..16383 */
	uint64_t nblocks;
	uint32_t block_size;    /* 512 or 4096 */
	uint8_t  block_shift;
	uint8_t  lbppbe;        /* log2(physical / logical block): 3 for 512e */
	bool     readonly;
	bool     wce;           /* volatile write cache that SYNC CACHE flushes */
	bool     thin;          /* thin provisioned: UNMAP, WRITE SAME UNMAP, GET LBA STATUS */
	/* MODE SELECT state (scsi_mode_select.c): readonly is the effective write
	 * protection, ro_config || swp */
	bool     wce_default;   /* WCE at start-up ("cache": "writeback") */
	bool     wcache;        /* the backend buffers writes: WCE is changeable,
	                         * and WCE=0 makes every write FUA */
	bool     ro_config;
	bool     d_sense;       /* control page D_SENSE: descriptor sense */
	bool     swp;           /* control page SWP */
	enum scsi_rotation rotation;
	uint8_t  naa[16];       /* NAA 6 designator, stable across restarts */
	char     serial[17];    /* 16 hex digits */
	const char *target_name;
	uint16_t rel_port;      /* relative target port identifier (>= 1) */
	/* removable media (core_media.c, scsi_mmc.c) */
	uint8_t  pdt;           /* peripheral device type: 0 disk, 5 CD/DVD */
	bool     removable;     /* RMB: START STOP UNIT LOEJ, PREVENT ALLOW */
	bool     medium_out;    /* ejected: media access is NOT READY, 3A/00 */
	bool     prevented;     /* some I_T nexus prevents medium removal */
	uint8_t  media_event;   /* GET EVENT STATUS: media event not yet reported */
	uint8_t  tpgs;          /* ALUA (scsi_alua.h): INQUIRY TPGS, 0 = off */
	uint16_t tpg_id;        /* target port group of rel_port */
};

/* What the emulation produced. Sense is fixed format unless noted. */
struct scsi_result {
	uint8_t  status;
	uint8_t  sense_len;
	uint32_t data_len;      /* data-in bytes produced (after allocation length) */
	uint32_t xfer_len;      /* bytes the CDB asked to transfer */
	uint8_t  sense[MSG_SENSE_MAX];
};

/* ---- big-endian helpers ---- */
static inline uint16_t scsi_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t scsi_be24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static inline uint32_t scsi_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t scsi_be64(const uint8_t *p) { return (uint64_t)scsi_be32(p) << 32 | scsi_be32(p + 4); }
static inline void scsi_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void scsi_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void scsi_put64(uint8_t *p, uint64_t v) { scsi_put32(p, (uint32_t)(v >> 32)); scsi_put32(p + 4, (uint32_t)v); }

/* ---- scsi_sense.c ---- */
void scsi_result_good(struct scsi_result *r);
/* CHECK CONDITION with fixed-format sense; asc is ASC_* (asc << 8 | ascq). */
void scsi_check(struct scsi_result *r, uint8_t key, uint16_t asc);
/* ILLEGAL REQUEST, INVALID FIELD IN CDB with the field pointer (byte, bit; bit < 0:
 * no bit pointer). */
void scsi_invalid_cdb(struct scsi_result *r, uint16_t byte, int bit);
/* Build sense data: fixed (0x70) or descriptor (0x72) format; sks is the 3-byte
 * sense-key-specific field or NULL. Returns its length. */
size_t scsi_sense_build(uint8_t *out, size_t cap, bool desc, uint8_t key, uint16_t asc,
			const uint8_t *sks);
/* Re-encode fixed-format sense (as kept in a scsi_result) in either format. */
size_t scsi_sense_convert(const uint8_t *fixed, size_t len, bool desc, uint8_t *out, size_t cap);
/* Set the INFORMATION field of the fixed-format sense in r. */
void scsi_sense_set_info(struct scsi_result *r, uint32_t info);
/* Map a backend -errno to sense for a failed media command. */
void scsi_check_io_error(struct scsi_result *r, int err, bool is_write);

/* ---- scsi_cdb.c ---- */
/* CDB length implied by the opcode's group code; 0 when unknown. */
unsigned scsi_cdb_len(uint8_t opcode);
/* True for commands that go to a backend (READ/WRITE/VERIFY/SYNCHRONIZE CACHE). */
bool scsi_is_media(const uint8_t *cdb);
/* Check the CDB length and the CONTROL byte. Returns 0, or fills r and returns -1. */
int scsi_cdb_check(const uint8_t *cdb, unsigned cdb_len, struct scsi_result *r);
/* Copy `len` bytes of built parameter data into out (cap bytes), truncate to the
 * allocation length, and mark r GOOD. */
void scsi_emit(const uint8_t *data, uint32_t len, uint32_t alloc, uint8_t *out, uint32_t cap,
	       struct scsi_result *r);
/* Commands that a pending unit attention does not fail. */
bool scsi_ua_exempt(const uint8_t *cdb);
/* Commands permitted to a LUN that does not exist. */
bool scsi_no_lun_ok(const uint8_t *cdb);

/* ---- scsi_luns.c ---- */
enum scsi_lun_kind { SCSI_LUN_NORMAL, SCSI_LUN_WLUN_REPORT_LUNS, SCSI_LUN_INVALID };
#define SCSI_LUN_MAX 16383
#define SCSI_WLUN_REPORT_LUNS 0xc101
/* Decode a SAM LUN (8 wire bytes as a big-endian value). */
enum scsi_lun_kind scsi_lun_decode(uint64_t wire, uint32_t *lun);
/* Encode a LUN number (peripheral below 256, flat space above). */
uint64_t scsi_lun_encode(uint32_t lun);
/* REPORT LUNS: luns is the sorted list visible to the nexus. */
void scsi_report_luns(const uint8_t *cdb, const uint32_t *luns, uint32_t nluns,
		      uint8_t *out, uint32_t cap, struct scsi_result *r);

/* ---- scsi_inquiry.c ---- */
/* lu == NULL: the LUN does not exist (peripheral qualifier 011b); wlun: the
 * REPORT LUNS well-known LU; proto (enum msg_proto): the asking nexus'
 * transport, whose version descriptor standard INQUIRY lists. */
void scsi_inquiry(const struct scsi_lu *lu, bool wlun, uint8_t proto, const uint8_t *cdb,
		  uint8_t *out, uint32_t cap, struct scsi_result *r);
/* Fill naa/serial from the target name and LUN (FNV-1a, stable across runs). */
void scsi_lu_make_ids(struct scsi_lu *lu);

/* ---- scsi_mode.c ---- */
/* One mode page as MODE SENSE reports it for page control pc (0 current,
 * 1 changeable, 2 default); returns its length, 0 for an unknown page. */
uint32_t scsi_mode_page(const struct scsi_lu *lu, uint8_t page, int pc, uint8_t *p);
/* ---- scsi_mode_select.c ---- */
#define MODE_SELECT_6  0x15
#define MODE_SELECT_10 0x55
/* Parameter list bytes a MODE SELECT CDB announces (0 for other commands). */
uint32_t scsi_mode_select_len(const uint8_t *cdb);
/* Apply a MODE SELECT parameter list (plen bytes arrived); *changed tells
 * whether a current value changed. */
void scsi_mode_select(struct scsi_lu *lu, const uint8_t *cdb, const uint8_t *p, uint32_t plen,
		      struct scsi_result *r, bool *changed);
/* REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (MAINTENANCE IN 0Dh) */
#define MI_REPORT_SUPPORTED_TMFS 0x0d
void scsi_report_tmfs(const uint8_t *cdb, uint8_t *out, uint32_t cap, struct scsi_result *r);
void scsi_mode_sense(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
		     uint32_t cap, struct scsi_result *r);

/* ---- scsi_rw.c ---- */
struct scsi_io {
	uint8_t  op;            /* MSG_IO_READ/WRITE/FLUSH */
	bool     fua;
	bool     verify;        /* VERIFY: read the medium */
	bool     bytchk;        /* VERIFY: compare with the data-out (BYTCHK=01b) */
	uint8_t  dir;           /* MSG_DIR_* the CDB implies */
	uint64_t lba;
	uint64_t nblocks;
	uint64_t offset;        /* bytes */
	uint64_t length;        /* bytes the CDB transfers */
	uint8_t  blk;           /* enum scsi_blk_kind: a multi-step command (core_blk.c) */
	bool     unmap;         /* WRITE SAME: UNMAP bit */
	bool     ndob;          /* WRITE SAME 16: no data-out buffer, write zeros */
	uint32_t param_len;     /* UNMAP: parameter list length; GET LBA STATUS: allocation length */
	bool     atomic;        /* WRITE ATOMIC 16: one backend write, exclusive on its range */
};
/* WRITE ATOMIC 16 (Block Limits VPD): the whole transfer is one backend write,
 * so the limit is the largest transfer; alignment and granularity 0 (none). */
#define SCSI_MAX_ATOMIC_BYTES SCSI_MAX_XFER_BYTES
/* Decode a media CDB and check it against the LU. Returns 1 with *io filled
 * when a backend I/O is needed, 0 when r holds the final result (an error, or
 * nothing to transfer). */
int scsi_rw_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		   struct scsi_result *r);
void scsi_read_capacity(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			uint32_t cap, struct scsi_result *r);

/* ---- scsi_blk.c: SBC commands the core runs in several steps ---- */
enum scsi_blk_kind {
	SCSI_BLK_NONE = 0,
	SCSI_BLK_WRITE_SAME,    /* one block replicated, zeroed or unmapped */
	SCSI_BLK_UNMAP,         /* parameter list of block descriptors */
	SCSI_BLK_CAW,           /* COMPARE AND WRITE: read, compare, write */
	SCSI_BLK_WRITE_VERIFY,  /* write, then read back and compare */
	SCSI_BLK_LBA_STATUS,    /* GET LBA STATUS: backend allocation queries */
	SCSI_BLK_ORWRITE,       /* read, OR the data-out in, write */
	SCSI_BLK_XCOPY,         /* EXTENDED COPY: core_xcopy.c */
	SCSI_BLK_SANITIZE,      /* SANITIZE: core_sanitize.c */
};
/* Limits reported in the Block Limits VPD page and enforced by decode. */
#define SCSI_MAX_CAW_BLOCKS       128u
#define SCSI_MAX_UNMAP_DESC       256u
/* WRITE SAME: bounds the time one command holds the LU (a data block is
 * replicated through the core in 1 MiB pieces) */
#define SCSI_MAX_WS_BYTES         (16ull << 20)
#define SCSI_MAX_UNMAP_BYTES      (256ull << 20) /* one UNMAP descriptor */
#define SCSI_UNMAP_GRANULARITY    4096u          /* bytes: a page of the backends */
#define SCSI_LBA_STATUS_MAX_DESC  64u
/* True for the opcodes scsi_blk_decode() handles. */
bool scsi_blk_is(const uint8_t *cdb);
/* Like scsi_rw_decode() for those opcodes: 1 when the core must run it. */
int scsi_blk_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		    struct scsi_result *r);
/* UNMAP parameter list: validate it all (header, descriptor count, ranges).
 * Returns the number of descriptors (0..) or -1 with r filled. */
int scsi_unmap_check(const struct scsi_lu *lu, const uint8_t *p, uint32_t len,
		     struct scsi_result *r);
/* Descriptor i of a checked list: LBA and block count. */
void scsi_unmap_desc(const uint8_t *p, uint32_t i, uint64_t *lba, uint32_t *n);

/* ---- scsi_sbc.c: SBC commands answered without the medium ---- */
/* START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, READ DEFECT DATA, FORMAT UNIT,
 * PRE-FETCH; anything else: INVALID COMMAND OPERATION CODE. */
void scsi_sbc_emulate(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
		      uint32_t cap, struct scsi_result *r);

/* ---- scsi_mmc.c: MMC commands of a CD/DVD LU (pdt 5) ---- */
#define SCSI_PDT_CDROM 5
#define READ_TOC                 0x43
#define GET_CONFIGURATION        0x46
#define GET_EVENT_STATUS         0x4a
#define READ_DISC_INFORMATION    0x51
#define MECHANISM_STATUS         0xbd
/* media events of GET EVENT STATUS NOTIFICATION */
#define SCSI_MEDIA_EV_NONE      0
#define SCSI_MEDIA_EV_EJECT_REQ 1
#define SCSI_MEDIA_EV_NEW       2
#define SCSI_MEDIA_EV_REMOVED   3
bool scsi_mmc_is(const uint8_t *cdb);
/* Run one MMC command; may consume lu->media_event. */
void scsi_mmc_emulate(struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out, uint32_t cap,
		      struct scsi_result *r);
/* Commands a removable LU answers with its medium ejected. */
bool scsi_media_absent_ok(const uint8_t *cdb);

/* ---- scsi_ua.c ---- */
/* Unit attentions pending for one I_T nexus on one LU: a bit set, reported
 * highest priority first, each once. */
enum scsi_ua_bits {
	SCSI_UA_POWER_ON = 1u << 0,      /* 29/00 */
	SCSI_UA_LUN_RESET = 1u << 1,     /* 29/03 */
	SCSI_UA_CMDS_CLEARED = 1u << 2,  /* 2F/00 */
	SCSI_UA_NEXUS_LOSS = 1u << 3,    /* 29/07 */
	SCSI_UA_MODE_CHANGED = 1u << 4,  /* 2A/01 */
	SCSI_UA_RES_PREEMPTED = 1u << 5, /* 2A/03 */
	SCSI_UA_RES_RELEASED = 1u << 6,  /* 2A/04 */
	SCSI_UA_REG_PREEMPTED = 1u << 7, /* 2A/05 */
	SCSI_UA_CAPACITY_CHANGED = 1u << 8, /* 2A/09 */
	SCSI_UA_LUNS_CHANGED = 1u << 9,  /* 3F/0E */
	SCSI_UA_MEDIUM_CHANGED = 1u << 13, /* 28/00: a removable medium was loaded */
	SCSI_UA_ALUA_CHANGED = 1u << 14, /* 2A/06 (core_alua.c) */
};
/* If a UA is pending and the command is not exempt, take it: fills r with the
 * CHECK CONDITION and returns true. */
bool scsi_ua_check(uint16_t *pending, const uint8_t *cdb, struct scsi_result *r);
/* For REQUEST SENSE: take the highest pending UA into fixed sense; returns its length or 0. */
/* Fixed-format sense of one UA bit (for an asynchronous event). */
size_t scsi_ua_sense(uint16_t bit, uint8_t *sense, size_t cap);
size_t scsi_ua_take_sense(uint16_t *pending, uint8_t *sense, size_t cap);
/* ASC/ASCQ of the UA that would be reported next (0: none); clears nothing. */
uint16_t scsi_ua_peek(uint16_t pending);

/* ---- scsi_ro.c ---- */
/* For an I_T nexus with a read-only ACL entry: true (DATA PROTECT, WRITE
 * PROTECTED in r) for the emulated commands that would change the medium or
 * state the other nexuses share (MODE SELECT, PR OUT, RESERVE, SET TARGET
 * PORT GROUPS, eject/load, FORMAT UNIT, SANITIZE). */
bool scsi_ro_refuse(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r);

/* ---- scsi_opcodes.c ---- */
void scsi_report_opcodes(const uint8_t *cdb, uint8_t *out, uint32_t cap, struct scsi_result *r);
/* The same for one LU (NULL: rows every LU offers): some rows are thin-only. */
void scsi_report_opcodes_lu(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			    uint32_t cap, struct scsi_result *r);
/* False when the table has the CDB's opcode only for another device type
 * (e.g. READ(16) on a CD/DVD LU, GET CONFIGURATION on a disk): the command
 * is then INVALID COMMAND OPERATION CODE, so what runs and what REPORT
 * SUPPORTED OPERATION CODES lists cannot disagree. */
bool scsi_opcode_of_type(const struct scsi_lu *lu, const uint8_t *cdb);

/* ---- scsi_emul.c ---- */
struct scsi_emul_req {
	const struct scsi_lu *lu;  /* NULL: no such LUN */
	bool     wlun;             /* addressed to the REPORT LUNS well-known LUN */
	uint8_t  proto;            /* the nexus' transport (enum msg_proto) */
	const uint8_t *cdb;
	const uint32_t *luns;      /* LUNs visible to this nexus, sorted */
	uint32_t nluns;
	uint16_t *ua_pending;      /* this nexus' UAs on this LU (may be NULL) */
	uint8_t *out;              /* scratch for data-in */
	uint32_t cap;
};
/* Execute a non-media command (or answer that it is not supported). */
void scsi_emulate(const struct scsi_emul_req *q, struct scsi_result *r);

#endif
