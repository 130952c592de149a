/* Third-party copy (SPC-4 EXTENDED COPY LID1, RECEIVE COPY RESULTS, the
 * Third-party Copy VPD page) and SBC-3 SANITIZE: the pure decoders and data
 * builders. Like scsi.h: no rings, no pool, unit tested. */
#ifndef MTGT_CORE_SCSI_XCOPY_H
#define MTGT_CORE_SCSI_XCOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "procs/core/scsi.h"

#define EXTENDED_COPY        0x83
#define RECEIVE_COPY_RESULTS 0x84
#define SK_COPY_ABORTED      0x0a

#define ASC_UNREACHABLE_COPY_TARGET   0x0804
#define ASC_COPY_TARGET_NOT_REACHABLE 0x0d02
#define ASC_INCORRECT_COPY_TARGET_TYPE 0x0d03
#define ASC_TOO_MANY_TARGET_DESC      0x2606
#define ASC_UNSUPPORTED_TARGET_DESC   0x2607
#define ASC_TOO_MANY_SEGMENT_DESC     0x2608
#define ASC_UNSUPPORTED_SEGMENT_DESC  0x2609
#define ASC_UNEXPECTED_INEXACT_SEGMENT 0x260a
#define ASC_INLINE_DATA_LENGTH_EXCEEDED 0x260b
#define ASC_SEGMENT_GRANULARITY       0x260d
#define ASC_OPERATION_IN_PROGRESS     0x0016
#define ASC_LU_NOT_READY_SANITIZE     0x041b
#define ASC_MEDIUM_FORMAT_CORRUPTED   0x3100
#define ASC_SANITIZE_COMMAND_FAILED   0x3103
#define ASC_INSUFFICIENT_RESOURCES    0x5503

/* EXTENDED COPY service actions and RECEIVE COPY RESULTS service actions */
#define XCOPY_SA_LID1          0x00
#define RCR_SA_COPY_STATUS     0x00
#define RCR_SA_RECEIVE_DATA    0x01
#define RCR_SA_OP_PARAMS       0x03
#define RCR_SA_FAILED_SEGMENTS 0x04

/* What the copy manager accepts (RECEIVE COPY RESULTS OPERATING PARAMETERS,
 * VPD 8Fh): CSCD identification descriptors (E4h) naming our LUs by NAA,
 * block to block segments (02h, and 0Ah in whole blocks), no inline or held
 * data. */
#define XCOPY_HDR_LEN        16u
#define XCOPY_CSCD_LEN       32u
#define XCOPY_B2B_LEN        28u
#define XCOPY_MAX_CSCD       8u
#define XCOPY_MAX_SEGMENTS   64u
#define XCOPY_MAX_DESC_LIST  4096u
#define XCOPY_MAX_PARAM      (XCOPY_HDR_LEN + XCOPY_MAX_DESC_LIST)
#define XCOPY_MAX_SEG_BLOCKS 0xffffu   /* the 16-bit NUMBER OF BLOCKS field */
#define XCOPY_MAX_CONCURRENT 16u       /* per I_T nexus: identified copies held */
#define XCOPY_CSCD_ID_DESC   0xe4
#define XCOPY_SEG_B2B        0x02
#define XCOPY_SEG_B2B_OFF    0x0a     /* block to block with byte offsets */
#define XCOPY_B2B_OFF_LEN    32u

/* LIST ID USAGE (LID1 header byte 1 bits 4-3) */
enum { XCOPY_LIST_HOLD = 0, XCOPY_LIST_NO_HOLD = 2, XCOPY_LIST_NONE = 3 };

struct scsi_xcopy_cscd {
	uint8_t  code_set, assoc, desig_type, desig_len;
	uint8_t  desig[20];
	uint8_t  devtype;        /* peripheral device type */
	uint32_t block_len;      /* block device parameters: DISK BLOCK LENGTH */
	uint16_t off;            /* offset in the parameter list */
};

struct scsi_xcopy_seg {
	uint8_t  type;           /* XCOPY_SEG_B2B or XCOPY_SEG_B2B_OFF */
	uint16_t src, dst;       /* CSCD descriptor indexes */
	uint32_t nblocks;        /* 02h: NUMBER OF BLOCKS */
	uint32_t nbytes;         /* 0Ah: BYTE COUNT */
	uint16_t src_off, dst_off; /* 0Ah: byte offsets into the first blocks */
	uint64_t src_lba, dst_lba;
	uint16_t off;            /* offset in the parameter list */
};

struct scsi_xcopy_list {
	uint8_t  list_id;
	uint8_t  usage;
	uint16_t ncscd, nseg;
	struct scsi_xcopy_cscd cscd[XCOPY_MAX_CSCD];
	struct scsi_xcopy_seg seg[XCOPY_MAX_SEGMENTS];
};

/* EXTENDED COPY CDB: LID1 only (LID4 is refused with INVALID FIELD IN CDB).
 * 1 with *param_len set, 0 when r holds the answer (an error, or GOOD for a
 * zero-length list). */
int scsi_xcopy_cdb(const uint8_t *cdb, uint32_t *param_len, struct scsi_result *r);
/* Validate a whole LID1 parameter list of len bytes (header, CSCD and
 * segment descriptors) and decode it. 0, or -1 with r filled. Nothing here
 * knows the LUs: resolving CSCDs and checking ranges is the copy manager's. */
int scsi_xcopy_parse(const uint8_t *p, uint32_t len, struct scsi_xcopy_list *x,
		     struct scsi_result *r);
/* COPY ABORTED for segment seg (its descriptor at seg_off in the list): the
 * segment number in COMMAND-SPECIFIC INFORMATION, a segment pointer (SD=1,
 * field_off bytes into the descriptor) in the sense-key specific bytes. */
void scsi_xcopy_abort(struct scsi_result *r, uint16_t asc, uint32_t seg, uint16_t field_off);

/* RECEIVE COPY RESULTS CDB: 0 with sa, list id and allocation length, or -1
 * with r filled (unknown or LID4 service action, reserved bytes). */
int scsi_rcr_cdb(const uint8_t *cdb, uint8_t *sa, uint8_t *list_id, uint32_t *alloc,
		 struct scsi_result *r);
/* OPERATING PARAMETERS data; returns its length. */
uint32_t scsi_rcr_op_params(uint32_t block_size, uint8_t *b);
/* COPY STATUS data (12 bytes): status 0 in progress, 1 done, 2 failed. */
uint32_t scsi_rcr_copy_status(uint8_t status, uint16_t segs, uint64_t bytes, uint8_t *b);
/* FAILED SEGMENT DETAILS data: the sense of a failed copy, or just the
 * 4-byte header when there is none. */
uint32_t scsi_rcr_failed_segment(uint8_t status, const uint8_t *sense, uint32_t sense_len,
				 uint8_t *b);
/* Third-party Copy VPD page (8Fh) of lu; returns its length (<= 256). */
uint32_t scsi_vpd_third_party_copy(const struct scsi_lu *lu, uint8_t *b);

/* ---- SANITIZE (scsi_sanitize.c) ---- */
#define SANITIZE_SA_OVERWRITE    0x01
#define SANITIZE_SA_BLOCK_ERASE  0x02
#define SANITIZE_SA_CRYPTO_ERASE 0x03
#define SANITIZE_SA_EXIT_FAILURE 0x1f
#define SANITIZE_MAX_PASSES      31u

struct scsi_sanitize_ow {
	bool     invert;
	uint8_t  passes;
	uint32_t pattern_len;
	const uint8_t *pattern;  /* inside the parameter list */
};

/* SANITIZE CDB against lu: 1 with io->blk = SCSI_BLK_SANITIZE and
 * io->param_len when the core must run it, 0 with r filled. */
int scsi_sanitize_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
			 struct scsi_result *r);
/* OVERWRITE parameter list of len bytes (the CDB's length, checked). */
int scsi_sanitize_overwrite(const uint8_t *p, uint32_t len, uint32_t block_size,
			    struct scsi_sanitize_ow *ow, struct scsi_result *r);
/* Fill one block-aligned buffer with the pattern repeated from the start of
 * each block (inverted when asked). */
void scsi_sanitize_fill(uint8_t *buf, uint32_t len, uint32_t block_size,
			const struct scsi_sanitize_ow *ow, bool inverted);
/* NOT READY, SANITIZE IN PROGRESS with the progress (0..65535) in the
 * sense-key specific bytes; fixed format sense into out, returns its length. */
uint32_t scsi_sanitize_sense(uint8_t *out, uint32_t cap, uint16_t progress);

#endif
