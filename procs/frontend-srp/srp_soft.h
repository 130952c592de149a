/* The `soft` SRP transport's wire protocol: a TEST transport that gives two
 * processes on one host the semantics of an RDMA RC connection, so the SRP
 * target can be tested end to end without RDMA hardware.
 *
 * - Connection management: a unix SOCK_SEQPACKET socket ("CM socket") that the
 *   supervisor binds for each soft SRP port. Every record starts with
 *   struct srp_soft_hdr.
 * - Memory regions: the initiator registers memory by sending SOFT_MR with a
 *   memfd (SCM_RIGHTS) sealed against shrinking (F_SEAL_SHRINK), an rkey, the
 *   region's address in its own address space, its length and access rights.
 *   The target maps it and checks every RDMA READ/WRITE against rkey, bounds
 *   and rights: a violation is a remote access error that breaks the
 *   connection (as on an RC QP), never a crash.
 * - Sends: SOFT_SEND records carry one IU each. The target reads the socket
 *   only while it has receive buffers posted (so a sender waits, like an RNR
 *   retry); an IU longer than the posted buffer is a local length error that
 *   breaks the connection.
 * The queues are socket records rather than shared rings: one process's
 * receive queue is never in memory the peer can write.
 */
#ifndef MTGT_SRP_SOFT_H
#define MTGT_SRP_SOFT_H

#include <stdint.h>

#define SRP_SOFT_MAGIC 0x53525053u /* "SRPS" */

enum srp_soft_type {
	SOFT_CONNECT = 1,     /* ini->tgt: private data (<= 56 bytes) */
	SOFT_ACCEPT = 2,      /* tgt->ini: private data (LOGIN_RSP) */
	SOFT_REJECT = 3,      /* tgt->ini: private data (LOGIN_REJ); then closed */
	SOFT_MR = 4,          /* ini->tgt: struct srp_soft_mr + 1 memfd */
	SOFT_MR_DEREG = 5,    /* ini->tgt: struct srp_soft_mr (rkey only) */
	SOFT_SEND = 6,        /* either way: one IU */
	SOFT_DISCONNECT = 7,  /* either way */
};

#define SOFT_ACC_REMOTE_READ  0x1
#define SOFT_ACC_REMOTE_WRITE 0x2

struct srp_soft_hdr {
	uint32_t magic;
	uint32_t type;
};

struct srp_soft_mr {
	uint32_t rkey;
	uint32_t access;
	uint64_t addr;        /* the region's address as the initiator names it */
	uint64_t length;
};

#define SRP_SOFT_MAX_MRS   64
#define SRP_SOFT_MAX_IU    (256u << 10)

#endif
