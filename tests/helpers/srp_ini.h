/* A test SRP initiator on the soft transport (procs/frontend-srp/srp_soft.h):
 * connects to a CM socket, registers its memory (a sealed memfd) with an
 * rkey, logs in with the 56-byte RDMA CM form of LOGIN_REQ, and sends IUs
 * the way Linux ib_srp does - or deliberately does not, for the negative
 * cases. Not shipped. */
#ifndef MTGT_TEST_SRP_INI_H
#define MTGT_TEST_SRP_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-srp/srp_iu.h"

#define INI_MEM     (64u << 20)
#define INI_RKEY    0x1234
#define INI_RO_RKEY 0x4321   /* a region the target may only read */
#define INI_RO_SIZE (1u << 20)

struct ini {
	int      fd;
	uint8_t *mem;            /* INI_MEM bytes, rkey INI_RKEY, read+write */
	uint8_t *ro;             /* INI_RO_SIZE bytes, rkey INI_RO_RKEY, read only */
	uint8_t  port[16], tgt[16];
	uint32_t it_len, ti_len;
	uint16_t formats, imm_off;
	uint8_t  rsp_flags;
	int32_t  req_lim;
	uint64_t next_tag;
	uint32_t t_logout;       /* reason of the last T_LOGOUT, or ~0 */
	bool     down;
	uint32_t cred_reqs;
	uint32_t aers;
	uint8_t  ua_asc, ua_ascq;  /* first unit attention login_std() took */
	uint64_t aer_lun;
	uint8_t  aer_sense[18];
};

struct ini_rsp {
	uint64_t tag;
	uint8_t  status, flags;
	uint32_t din_res, dout_res, sense_len, resp_len;
	uint8_t  sense[256];
	uint8_t  resp_code;
};

extern const char *ini_path;
extern uint8_t ini_tgt_port[16];
extern uint8_t ini_port_id[16];

int  ini_connect(struct ini *i);
void ini_close(struct ini *i);
/* Login: 0 accepted, > 0 the reject reason, < 0 error. */
int  ini_login(struct ini *i, uint8_t flags, uint32_t it_len, uint16_t fmt, const uint8_t *tgt,
	       uint16_t imm_off);
int  ini_send(struct ini *i, const void *iu, uint32_t len);
/* The next IU (CRED_REQ/AER_REQ handled and answered inside), or -ENOTCONN
 * after a disconnect, -ETIMEDOUT. */
int  ini_recv(struct ini *i, uint8_t *buf, uint32_t cap, int timeout_ms);
/* Wait for the RSP of tag; other RSPs are dropped. */
int  ini_wait_rsp(struct ini *i, uint64_t tag, struct ini_rsp *r, int timeout_ms);
void ini_parse_rsp(const uint8_t *b, uint32_t n, struct ini_rsp *r);

enum ini_mode { M_DIRECT, M_INDIRECT, M_EXT, M_IMM };
/* Build and send an SRP_CMD: data at mem+off, nseg segments (spread with
 * gaps); returns the tag. */
uint64_t ini_cmd(struct ini *i, uint64_t lun, const uint8_t *cdb, uint8_t cdb_len, int dir,
		 uint32_t off, uint32_t len, enum ini_mode mode, int nseg);
/* Send and wait: the status (or -errno). */
int  ini_scsi(struct ini *i, uint64_t lun, const uint8_t *cdb, uint8_t cdb_len, int dir,
	      uint32_t off, uint32_t len, enum ini_mode mode, int nseg, struct ini_rsp *r);
/* Where segment k of an nseg-spread buffer lives, and its length. */
uint32_t ini_seg_off(uint32_t off, uint32_t len, int nseg, int k, uint32_t *seg_len);

int  ini_case(const char *name, int argc, char **argv);
/* Log in (0 accepted) and take the unit attentions a new nexus has. */
int  ini_login_ua(struct ini *i);
/* srp_ini_steady.c */
int  ini_case_steady(int secs, int qd);
int  ini_case_across(int secs, int qd, int min_drops);
int  ini_case_hold(int n, int secs);
/* srp_ini_limits.c */
int  ini_case_limits(const char *which);

#define LUN(n) ((uint64_t)(n) << 48)
#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fprintf(stderr, "\n"); return 1; } while (0)
#define CHECK(c, ...) do { if (!(c)) FAIL(__VA_ARGS__); } while (0)

#endif
