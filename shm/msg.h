/* Message formats carried by the shared-memory rings.
 *
 * Every entry is RING_ENTRY_SIZE bytes and holds no pointers: data lives in the
 * data pool and is named by a buf_handle. Every message starts with msg_hdr,
 * which carries the sender's incarnation epoch, so a receiver can drop what a
 * dead predecessor of its peer left in the ring.
 *
 * Links and directions:
 *   frontend -> core : NEXUS_ADD, NEXUS_DEL, DISCOVER, CMD, DATA_READY, TMF
 *   core -> frontend : NEXUS_ADDED, DISCOVER_DONE, XFER_RDY, CMD_RSP, TMF_RSP,
 *                      ASYNC_EVENT
 *   core -> backend  : IO
 *   backend -> core  : IO_DONE
 * A message type arriving on the wrong link is a protocol violation.
 */
#ifndef MTGT_SHM_MSG_H
#define MTGT_SHM_MSG_H

#include <stdint.h>
#include <assert.h>

#define RING_ENTRY_SIZE 128u

/* A buffer in the data pool: offset and length are relative to the arena. */
struct buf_handle {
	uint32_t arena;
	uint32_t offset;
	uint32_t length;
	uint32_t reserved; /* must be 0 */
};

enum msg_type {
	MSG_NONE = 0,
	/* frontend -> core */
	MSG_NEXUS_ADD = 1,  /* register an I_T nexus (login); answer NEXUS_ADDED */
	MSG_NEXUS_DEL,      /* nexus gone (logout, connection loss); no answer */
	MSG_DISCOVER,       /* list targets an initiator may see; answer DISCOVER_DONE */
	MSG_CMD,            /* a SCSI command */
	MSG_DATA_READY,     /* all data-out asked for by XFER_RDY is in the buffer */
	MSG_TMF,            /* task management function; answer TMF_RSP */
	/* core -> frontend */
	MSG_NEXUS_ADDED = 16,
	MSG_DISCOVER_DONE,
	MSG_XFER_RDY,       /* core accepted a write CDB: pull the data-out now */
	MSG_CMD_RSP,        /* final status (data-in, if any, is in the buffer) */
	MSG_TMF_RSP,
	MSG_ASYNC_EVENT,    /* a unit attention was established outside a command */
	/* core -> backend */
	MSG_IO = 32,
	/* backend -> core */
	MSG_IO_DONE = 48,
	MSG_TYPE_MAX
};

struct msg_hdr {
	uint8_t  type;      /* enum msg_type */
	uint8_t  flags;     /* per type */
	uint16_t reserved;
	uint32_t epoch;     /* sender's incarnation epoch */
	uint64_t tag;       /* sender's identifier of the exchange, echoed back */
};

/* h.flags of a frontend -> core request (CMD, NEXUS_ADD, NEXUS_DEL, TMF)
 * that the frontend sends again to a new core incarnation after the previous
 * one died or was upgraded without answering it (procs/core/core_replay.c). */
#define MSG_FLAG_REPLAY 0x80

/* Names are passed in the pool as "name\0" strings; these bound them. */
#define MSG_NAME_MAX 256 /* iSCSI names are at most 223 bytes */

/* MSG_NEXUS_ADD: buf holds "initiator-name\0target-name\0". */
struct msg_nexus_add {
	struct msg_hdr h;
	uint32_t nexus;     /* frontend-chosen id, unique per link while alive */
	uint32_t reserved;
	uint64_t isid;      /* iSCSI ISID (48 bits) or transport port id */
	struct buf_handle buf;
	uint32_t port;      /* relative target port identifier: the iSCSI portal
	                     * group tag of the connection (1..65535); 0 = 1 */
	uint8_t  proto;     /* enum msg_proto: the initiator port's transport */
	uint8_t  reserved2[3];
};

/* MSG_NEXUS_ADD proto: which SCSI transport the initiator port is on, so the
 * core writes and reads its TransportIDs (SPC-4 7.6.4) in that protocol's
 * format. 0 is iSCSI: senders that zero the message (all of them) and
 * predate the field stay right. The initiator name is then
 *   ISCSI: the iSCSI name (protocol identifier 5, formats 00/01);
 *   FCP:   "0x" + 16 lowercase hex digits, the N_Port name (WWPN)
 *          (protocol identifier 0, format 00);
 *   SRP:   "0x" + 32 lowercase hex digits, the initiator port identifier
 *          (protocol identifier 4, format 00).
 * isid holds, for FCP and SRP, a 48-bit value naming the target port (the
 * I_T nexus is initiator port + target port). Other values are refused. */
enum msg_proto {
	MSG_PROTO_ISCSI = 0,
	MSG_PROTO_FCP = 1,
	MSG_PROTO_SRP = 2,
	MSG_PROTO_MAX
};

/* MSG_NEXUS_ADD h.flags: the frontend takes MSG_ASYNC_EVENT for this nexus */
#define MSG_NEXUS_ASYNC 0x01

/* MSG_NEXUS_ADDED: result 0 = allowed, -ENOENT no such target,
 * -EACCES initiator not allowed (frontends must not tell these apart to the
 * initiator when that would reveal a target). */
struct msg_nexus_added {
	struct msg_hdr h;
	uint32_t nexus;
	int32_t  result;
};

struct msg_nexus_del {
	struct msg_hdr h;
	uint32_t nexus;
};

/* MSG_DISCOVER: buf holds "initiator-name\0" on submission; the core overwrites
 * it with the allowed target names, each NUL-terminated. */
struct msg_discover {
	struct msg_hdr h;
	struct buf_handle buf;
};

struct msg_discover_done {
	struct msg_hdr h;
	int32_t  result;    /* 0 or -errno (-ENOSPC: buffer too small) */
	uint32_t length;    /* bytes written into the buffer */
};

enum msg_dir {
	MSG_DIR_NONE = 0,
	MSG_DIR_READ = 1,   /* data-in: target to initiator */
	MSG_DIR_WRITE = 2,  /* data-out: initiator to target */
};

enum msg_task_attr {
	MSG_TASK_SIMPLE = 0,
	MSG_TASK_HEAD_OF_QUEUE = 1,
	MSG_TASK_ORDERED = 2,
	MSG_TASK_ACA = 4,
};

#define MSG_CDB_MAX 32

/* MSG_CMD. buf is sized for the expected transfer length (or is empty when
 * edtl is 0); the first imm_len bytes already hold immediate/unsolicited
 * data-out. */
struct msg_cmd {
	struct msg_hdr h;
	uint32_t nexus;
	uint8_t  dir;       /* enum msg_dir */
	uint8_t  attr;      /* enum msg_task_attr */
	uint8_t  cdb_len;
	uint8_t  reserved;
	uint64_t lun;       /* SAM LUN as on the wire (8 bytes, big-endian value) */
	uint32_t edtl;      /* expected data transfer length */
	uint32_t imm_len;   /* data-out bytes already in buf */
	struct buf_handle buf;
	uint8_t  cdb[MSG_CDB_MAX];
};

/* Write data flow: the frontend submits MSG_CMD as soon as the command PDU
 * (and any immediate data) is in. The core checks the CDB first, so a bad
 * command fails before any data is pulled. If the core needs more data-out
 * than imm_len, it sends MSG_XFER_RDY with the byte count it wants (from offset
 * 0, at most buf.length); the frontend solicits the rest and answers
 * MSG_DATA_READY once that many bytes are in the buffer. If imm_len already
 * covers it, the core goes on without XFER_RDY. Unsolicited data-out that
 * arrives after the submission goes into the buffer as usual. */
/* MSG_XFER_RDY: the core wants `length` bytes of data-out in the buffer. */
struct msg_xfer_rdy {
	struct msg_hdr h;
	uint32_t length;
};

/* MSG_DATA_READY: frontend has received `length` bytes of data-out.
 * result < 0 means the transfer failed (connection lost): core drops the command
 * and answers with CMD_RSP flag MSG_RSP_ABORTED. */
struct msg_data_ready {
	struct msg_hdr h;
	uint32_t length;
	int32_t  result;
};

#define MSG_SENSE_MAX 96

/* MSG_CMD_RSP flags */
#define MSG_RSP_ABORTED 0x01 /* command was aborted: send no status */

struct msg_cmd_rsp {
	struct msg_hdr h;
	uint8_t  status;    /* SCSI status */
	uint8_t  sense_len;
	uint16_t reserved;
	uint32_t data_len;  /* data-in bytes valid at the start of the buffer */
	uint32_t cdb_xfer_len; /* bytes the CDB asked to transfer (for residuals);
	                        * 0 when the command failed before it was decoded */
	uint8_t  sense[MSG_SENSE_MAX];
};

enum msg_tmf_fn {
	MSG_TMF_ABORT_TASK = 1,
	MSG_TMF_ABORT_TASK_SET = 2,
	MSG_TMF_CLEAR_ACA = 3,
	MSG_TMF_CLEAR_TASK_SET = 4,
	MSG_TMF_LUN_RESET = 5,
	MSG_TMF_TARGET_WARM_RESET = 6,
	MSG_TMF_TARGET_COLD_RESET = 7,
	MSG_TMF_QUERY_TASK = 8,
	MSG_TMF_IT_NEXUS_RESET = 9,
	MSG_TMF_QUERY_TASK_SET = 10,
	MSG_TMF_QUERY_ASYNC_EVENT = 11, /* TMF_RSP carries the pending UA, if any */
};

enum msg_tmf_result {
	MSG_TMF_COMPLETE = 0,
	MSG_TMF_NO_TASK = 1,
	MSG_TMF_NO_LUN = 2,
	MSG_TMF_NOT_SUPPORTED = 3,
	MSG_TMF_REJECTED = 4,
	MSG_TMF_SUCCEEDED = 5, /* QUERY TASK: task exists */
};

struct msg_tmf {
	struct msg_hdr h;
	uint32_t nexus;
	uint8_t  fn;        /* enum msg_tmf_fn */
	uint8_t  reserved[3];
	uint64_t lun;
	uint64_t ref_tag;   /* frontend tag of the task to abort (ABORT TASK) */
};

struct msg_tmf_rsp {
	struct msg_hdr h;
	uint8_t  result;    /* enum msg_tmf_result */
	/* QUERY ASYNCHRONOUS EVENT that SUCCEEDED: the additional response
	 * information of SAM-5 (sense key, ASC, ASCQ of the pending UA) */
	uint8_t  sense_key, asc, ascq;
};

enum msg_io_op {
	MSG_IO_READ = 1,
	MSG_IO_WRITE = 2,
	MSG_IO_FLUSH = 3,        /* offset/length ignored: whole device */
	MSG_IO_WRITE_ZEROES = 4, /* no buffer */
	MSG_IO_UNMAP = 5,        /* no buffer: deallocate the range */
	MSG_IO_LBA_STATUS = 6,   /* no buffer: allocation state at offset. IO_DONE.length
	                          * is the length (> 0, <= length, whole blocks) of
	                          * the run from offset in one state; IO_DONE h.flags
	                          * MSG_IO_DONE_UNMAPPED when that run is deallocated */
	MSG_IO_OP_MAX
};

#define MSG_IO_FUA 0x01 /* h.flags: write must be durable before completion */
#define MSG_IO_DONE_UNMAPPED 0x01 /* IO_DONE h.flags of LBA_STATUS: a hole */

struct msg_io {
	struct msg_hdr h;
	uint32_t dev;       /* backend-local device index from the init message */
	uint8_t  op;        /* enum msg_io_op */
	uint8_t  reserved[3];
	uint64_t offset;    /* bytes */
	uint64_t length;    /* bytes */
	struct buf_handle buf;
};

struct msg_io_done {
	struct msg_hdr h;
	int32_t  result;    /* 0 or -errno */
	uint32_t length;    /* bytes transferred */
};

/* MSG_ASYNC_EVENT (core -> frontend, tag 0, no answer): the core queued a
 * unit attention for a nexus outside any command of it (e.g. MODE PARAMETERS
 * CHANGED after another initiator's MODE SELECT, REPORTED LUNS DATA HAS
 * CHANGED, CAPACITY DATA HAS CHANGED). The frontend may tell the initiator at
 * once (iSCSI: Asynchronous Message, AsyncEvent 0); the UA stays pending in
 * the core and is reported on the next command as usual. */
struct msg_async_event {
	struct msg_hdr h;
	uint32_t nexus;
	uint8_t  sense_len; /* fixed-format sense, at most MSG_ASYNC_SENSE_MAX */
	uint8_t  reserved[3];
	uint64_t lun;       /* SAM LUN as on the wire */
#define MSG_ASYNC_SENSE_MAX 96
	uint8_t  sense[MSG_ASYNC_SENSE_MAX];
};

/* One ring entry: any of the above, padded to the entry size. */
union msg {
	struct msg_hdr h;
	struct msg_nexus_add nexus_add;
	struct msg_nexus_added nexus_added;
	struct msg_nexus_del nexus_del;
	struct msg_discover discover;
	struct msg_discover_done discover_done;
	struct msg_cmd cmd;
	struct msg_xfer_rdy xfer_rdy;
	struct msg_data_ready data_ready;
	struct msg_cmd_rsp cmd_rsp;
	struct msg_tmf tmf;
	struct msg_tmf_rsp tmf_rsp;
	struct msg_async_event async_event;
	struct msg_io io;
	struct msg_io_done io_done;
	uint8_t raw[RING_ENTRY_SIZE];
};

static_assert(sizeof(union msg) == RING_ENTRY_SIZE, "ring entry size");
static_assert(RING_ENTRY_SIZE % 64 == 0, "entries are whole cache lines");

#endif
