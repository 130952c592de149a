/* test-fc-ini: a user-space FCoE initiator for the FC integration tests.
 * A VN2VN VN_Port on an AF_PACKET socket (run it in its own network
 * namespace, joined to the target's by a veth pair), with just enough of
 * an FCP initiator to log in and drive SCSI commands and faults. The frame
 * codecs are the target's (procs/frontend-fc/fc_*.c): what it checks is the
 * target's behaviour, the codecs are checked by their unit tests, and
 * tshark decodes the captures as an independent check. */
#ifndef MTGT_TESTS_FC_INI_H
#define MTGT_TESTS_FC_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-fc/fc_fcp.h"
#include "procs/frontend-fc/fc_frame.h"

struct fci {
	int      fd;
	uint8_t  mac[6], vn_mac[6], tgt_mac[6];
	uint32_t id, tgt_id;
	uint64_t wwpn, wwnn;
	uint32_t tgt_rx_size;      /* from the target's PLOGI LS_ACC */
	uint32_t rx_size;          /* what we announce */
	uint16_t next_ox;
	uint8_t  seq_id;
	/* fault injection on data-out: drop frame #n (1-based), 0: none */
	uint32_t drop_data_frame;
	/* what the last command saw */
	uint32_t data_frames, max_data_payload;
	uint32_t last_rx_id;
	uint64_t last_beacon_ms;
	uint8_t  frame[FCOE_MAX_FRAME + 64];
	/* fabric case (fc_fcf.c): every received frame goes to hook first
	 * (1: it took it), tick runs on every receive loop, no VN2VN beacons */
	int  (*hook)(struct fci *c, const uint8_t *frame, size_t len);
	void (*tick)(struct fci *c);
};

/* a received FC frame (payload copied) */
struct fci_rx {
	struct fc_hdr h;
	uint8_t  pl[FC_MAX_PAYLOAD];
	uint32_t len;
};

struct fci_cmd {
	uint64_t lun;
	uint8_t  cdb[16];
	uint8_t  cdb_len;
	bool     rd, wr;
	uint32_t dl;
	uint8_t *buf;              /* data-in lands here / data-out comes from here */
	uint8_t  tmf;
	/* results */
	bool     got_rsp;
	struct fcp_rsp rsp;
	uint8_t  sense[96];
	uint32_t sense_len;
	uint32_t data_in;          /* bytes received */
};

int  fci_open(struct fci *c, const char *ifname, uint32_t id, uint32_t tgt_id, uint64_t wwpn);
int  fci_vn2vn_join(struct fci *c, int timeout_ms);
int  fci_send(struct fci *c, const struct fc_hdr *h, const uint8_t *pl, uint32_t len,
	      bool bad_crc);
/* next frame from the target (any exchange), within timeout_ms; 1: got one,
 * 0: timeout */
int  fci_recv(struct fci *c, struct fci_rx *rx, int timeout_ms);
uint16_t fci_ox(struct fci *c);
/* frames the kernel dropped on our socket (receive buffer full) so far */
unsigned fci_drops(struct fci *c);
/* ELS request; returns the reply's first byte (LS_ACC 2 / LS_RJT 1) and
 * the reply in rx, or -ETIMEDOUT */
int  fci_els(struct fci *c, const uint8_t *pl, uint32_t len, struct fci_rx *rx);
int  fci_plogi(struct fci *c, uint16_t rx_size, struct fci_rx *rx);
int  fci_prli(struct fci *c, struct fci_rx *rx);
int  fci_logo(struct fci *c, struct fci_rx *rx);
int  fci_login(struct fci *c);
/* Run one command to its FCP_RSP. ox: the exchange to use (0: new).
 * Returns 0 with cmd results, -ETIMEDOUT, or -EPROTO. */
int  fci_cmd(struct fci *c, struct fci_cmd *cmd, uint16_t ox, int timeout_ms);
/* Answer an XFER_RDY (xr) with the data-out it asks for from cmd->buf. */
int  fci_send_data(struct fci *c, const struct fci_cmd *cmd, const struct fci_rx *xr);
/* Send FCP_CMND only (for cases that stop half way). */
int  fci_cmd_send(struct fci *c, const struct fci_cmd *cmd, uint16_t ox, bool bad_crc);
void fci_hdr(struct fci *c, struct fc_hdr *h, uint8_t r_ctl, uint8_t type, uint16_t ox,
	     uint16_t rx, uint32_t f_ctl);

/* fc_ini_cases.c */
int  fci_case(struct fci *c, const char *name, int argc, char **argv);
int  fci_login_ready(struct fci *c);
int  fci_io_verify(struct fci *c, uint32_t lun, uint32_t bs, uint64_t bytes, uint32_t chunk,
		   uint32_t seed);

/* fc_ini_wait.c: commands waiting for pool space (a 1 MiB pool): FIFO
 * start as buffers free, ABTS, LUN RESET and LOGO of waiting commands */
int  fci_case_waitq(struct fci *c);

/* fc_fcf.c: a fake FCF + name server in front of the target, and an
 * initiator behind it (case "fabric") */
int  fcf_case_fabric(struct fci *c, int argc, char **argv);

#define FCI_LOG(...) do { fprintf(stderr, "test-fc-ini: " __VA_ARGS__); fputc('\n', stderr); } while (0)

#endif
