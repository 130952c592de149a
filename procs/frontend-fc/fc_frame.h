/* Fibre Channel frames (FC-FS-3) and their FCoE encapsulation (FC-BB-5).
 *
 * Pure code: no sockets, no state. Every decoder treats its input as hostile
 * and reports what is wrong with a negative errno; nothing here allocates. */
#ifndef MTGT_FC_FRAME_H
#define MTGT_FC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_HDR_LEN        24
#define FC_MAX_PAYLOAD    2112  /* FC-FS-3: the largest data field */
#define FC_CRC_LEN        4
#define FC_ID_MAX         0xffffffu

/* R_CTL: routing (high nibble) and information category (low nibble) */
enum fc_rctl {
	FC_RCTL_DD_UNCAT      = 0x00,
	FC_RCTL_DD_SOL_DATA   = 0x01, /* FCP_DATA */
	FC_RCTL_DD_UNSOL_CTL  = 0x02, /* FC-CT request */
	FC_RCTL_DD_SOL_CTL    = 0x03, /* FC-CT response */
	FC_RCTL_DD_DATA_DESC  = 0x05, /* FCP_XFER_RDY */
	FC_RCTL_DD_UNSOL_CMD  = 0x06, /* FCP_CMND */
	FC_RCTL_DD_CMD_STATUS = 0x07, /* FCP_RSP */
	FC_RCTL_ELS_REQ       = 0x22,
	FC_RCTL_ELS_REP       = 0x23,
	FC_RCTL_BA_NOP        = 0x80,
	FC_RCTL_BA_ABTS       = 0x81,
	FC_RCTL_BA_RMC        = 0x82,
	FC_RCTL_BA_ACC        = 0x84,
	FC_RCTL_BA_RJT        = 0x85,
};

enum fc_type {
	FC_TYPE_BLS = 0x00,
	FC_TYPE_ELS = 0x01,
	FC_TYPE_FCP = 0x08,
	FC_TYPE_CT  = 0x20,
};

/* F_CTL bits (24 bits) */
#define FC_FCTL_EX_CTX    (1u << 23) /* frame from the exchange's responder */
#define FC_FCTL_SEQ_CTX   (1u << 22) /* frame from the sequence recipient */
#define FC_FCTL_FIRST_SEQ (1u << 21)
#define FC_FCTL_LAST_SEQ  (1u << 20)
#define FC_FCTL_END_SEQ   (1u << 19)
#define FC_FCTL_SEQ_INIT  (1u << 16) /* sequence initiative transferred */
#define FC_FCTL_REL_OFF   (1u << 3)  /* parameter field is a relative offset */
#define FC_FCTL_FILL_MASK 0x3u       /* fill bytes at the end of the payload */

/* well-known addresses */
#define FC_FID_FLOGI      0xfffffeu  /* fabric F_Port */
#define FC_FID_FCTRL      0xfffffdu  /* fabric controller */
#define FC_FID_DIR_SERV   0xfffffcu  /* directory (name) server */

#define FC_XID_UNKNOWN    0xffffu

struct fc_hdr {
	uint8_t  r_ctl;
	uint32_t d_id;     /* 24 bits */
	uint8_t  cs_ctl;
	uint32_t s_id;     /* 24 bits */
	uint8_t  type;
	uint32_t f_ctl;    /* 24 bits */
	uint8_t  seq_id;
	uint8_t  df_ctl;
	uint16_t seq_cnt;
	uint16_t ox_id;
	uint16_t rx_id;
	uint32_t param;
};

void fc_hdr_encode(const struct fc_hdr *h, uint8_t *out);
/* -EINVAL when DF_CTL announces optional headers (we accept none) */
int fc_hdr_decode(const uint8_t *in, struct fc_hdr *h);

/* ---- FCoE (FC-BB-5 clause 7) ---- */

#define FCOE_ETHERTYPE    0x8906
#define FIP_ETHERTYPE     0x8914
#define ETH_HDR_LEN       14
#define FCOE_HDR_LEN      14  /* version + reserved + SOF */
#define FCOE_TRAILER_LEN  4   /* EOF + reserved */
/* Ethernet payload of a full-sized FCoE frame: 14 + 24 + 2112 + 4 + 4 */
#define FCOE_MAX_ETH_PAYLOAD (FCOE_HDR_LEN + FC_HDR_LEN + FC_MAX_PAYLOAD + FC_CRC_LEN + FCOE_TRAILER_LEN)
/* the MTU a link needs for full frames ("baby jumbo") */
#define FCOE_MIN_MTU      FCOE_MAX_ETH_PAYLOAD
#define FCOE_MAX_FRAME    (ETH_HDR_LEN + 4 /* VLAN tag */ + FCOE_MAX_ETH_PAYLOAD)

enum fc_sof {
	FC_SOF_F  = 0x28,
	FC_SOF_I2 = 0x2d,
	FC_SOF_N2 = 0x35,
	FC_SOF_I3 = 0x2e,
	FC_SOF_N3 = 0x36,
};

enum fc_eof {
	FC_EOF_N  = 0x41,
	FC_EOF_T  = 0x42,
	FC_EOF_NI = 0x49,
	FC_EOF_A  = 0x50,
};

/* One FC frame inside an Ethernet frame. */
struct fcoe_frame {
	uint8_t  dst[6], src[6];
	uint16_t vlan;          /* 0: untagged */
	uint8_t  sof, eof;
	struct fc_hdr fh;
	const uint8_t *payload; /* points into the decoded buffer */
	uint32_t payload_len;   /* fill bytes removed */
};

/* Build an Ethernet frame carrying one FC frame; returns its length or
 * -EMSGSIZE. The CRC is computed here; the frame is padded to Ethernet's
 * 60-byte minimum. */
int fcoe_encode(const struct fcoe_frame *f, const uint8_t *payload, uint32_t len,
		uint8_t *out, size_t cap);
/* Decode and check an Ethernet frame: ethertype, FCoE version, SOF/EOF
 * codes, the length of the FC frame and its CRC. Returns 0 or a negative
 * errno: -EPROTONOSUPPORT (not FCoE), -EBADMSG (bad CRC), -EINVAL (bad
 * SOF/EOF/version/length). */
int fcoe_decode(const uint8_t *in, size_t len, struct fcoe_frame *f);

/* The FC CRC of a frame (header + payload), as carried little-endian. */
uint32_t fc_crc(const uint8_t *buf, size_t len);

/* Fabric-provided MAC address: FC-MAP (24 bits) then the FC_ID. */
void fcoe_fpma(uint32_t fc_map, uint32_t fc_id, uint8_t mac[6]);
#define FCOE_DEFAULT_FC_MAP 0x0efc00u

static inline uint32_t fc_get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline void fc_put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

#endif
