/* FIP, the FCoE Initialization Protocol (FC-BB-5 clause 7.8): building and
 * parsing its frames. Pure code, hostile input expected. */
#ifndef MTGT_FC_FIP_H
#define MTGT_FC_FIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIP_VERSION      1
#define FIP_HDR_LEN      10
#define FIP_MAX_VLANS    16

enum fip_op {
	FIP_OP_DISC  = 0x0001, /* sub 1 solicitation, 2 advertisement */
	FIP_OP_LS    = 0x0002, /* sub 1 request, 2 reply (FLOGI/FDISC/LOGO) */
	FIP_OP_CTRL  = 0x0003, /* sub 1 keep-alive, 2 clear virtual links */
	FIP_OP_VLAN  = 0x0004, /* sub 1 request, 2 notification */
	FIP_OP_VN2VN = 0x0005,
};

/* flags */
#define FIP_FL_FPMA   0x8000
#define FIP_FL_SPMA   0x4000
#define FIP_FL_AVAIL  0x0004
#define FIP_FL_SOL    0x0002
#define FIP_FL_FPORT  0x0001

enum fip_desc_type {
	FIP_DT_PRI      = 1,
	FIP_DT_MAC      = 2,
	FIP_DT_MAP_OUI  = 3,
	FIP_DT_NAME     = 4,
	FIP_DT_FAB      = 5,
	FIP_DT_FCOE_SIZE = 6,
	FIP_DT_FLOGI    = 7,
	FIP_DT_FDISC    = 8,
	FIP_DT_LOGO     = 9,
	FIP_DT_ELP      = 10,
	FIP_DT_VN_ID    = 11,
	FIP_DT_FKA      = 12,
	FIP_DT_VENDOR   = 13,
	FIP_DT_VLAN     = 14,
	FIP_DT_FC4F     = 15, /* FC-BB-6 VN2VN claims: FC-4 types and features */
};

struct fip_msg {
	uint8_t  dst[6], src[6];
	uint16_t vlan_tag;        /* 802.1Q tag the frame came with, 0: none */
	uint16_t op;
	uint8_t  subcode;
	uint16_t flags;
	/* descriptors seen (bit per enum fip_desc_type) and their values */
	uint32_t have;
	uint8_t  priority;
	uint8_t  mac[6];
	uint32_t fc_map;
	uint64_t name;            /* node or switch name */
	uint16_t vf_id;
	uint64_t fabric_name;
	uint16_t max_fcoe_size;
	uint32_t fka_period_ms;
	bool     fka_no_verify;   /* D bit */
	uint16_t vlans[FIP_MAX_VLANS];
	uint32_t nvlans;
	uint8_t  vn_mac[6];       /* VX_Port identification */
	uint32_t vn_port_id;
	uint64_t vn_port_name;
	/* an encapsulated ELS (FLOGI, FDISC, LOGO): FC header + payload */
	uint8_t  els_desc;        /* FIP_DT_FLOGI / FDISC / LOGO, 0: none */
	const uint8_t *els;
	uint32_t els_len;
};

#define FIP_HAS(m, t) (((m)->have >> (t)) & 1u)

/* Parse an Ethernet frame with ethertype FIP. -EPROTONOSUPPORT: not FIP;
 * -EINVAL: malformed (bad version, lengths, a critical descriptor we do not
 * know, a descriptor of the wrong size). */
int fip_parse(const uint8_t *in, size_t len, struct fip_msg *m);

/* Building: fip_begin, any number of fip_put_*, fip_end (returns the frame
 * length, or -EMSGSIZE if anything did not fit). */
struct fip_buf {
	uint8_t *p;
	size_t   cap, len, list_start;
	bool     overflow;
};

void fip_begin(struct fip_buf *b, uint8_t *out, size_t cap, const uint8_t dst[6],
	       const uint8_t src[6], uint16_t vlan, uint16_t op, uint8_t subcode,
	       uint16_t flags);
void fip_put_priority(struct fip_buf *b, uint8_t prio);
void fip_put_mac(struct fip_buf *b, const uint8_t mac[6]);
void fip_put_map(struct fip_buf *b, uint32_t fc_map);
void fip_put_name(struct fip_buf *b, uint64_t name);
void fip_put_fabric(struct fip_buf *b, uint16_t vf_id, uint32_t fc_map, uint64_t fabric_name);
void fip_put_max_size(struct fip_buf *b, uint16_t size);
void fip_put_fka(struct fip_buf *b, uint32_t period_ms, bool no_verify);
void fip_put_vlan(struct fip_buf *b, uint16_t vlan);
/* FC-4 features descriptor naming FCP with features feat (1 target, 2
 * initiator), as VN2VN claims carry it (the layout Linux libfcoe uses) */
#define FIP_FC4F_WORDS 41
void fip_put_fc4f_fcp(struct fip_buf *b, uint8_t feat);
void fip_put_vn_id(struct fip_buf *b, const uint8_t mac[6], uint32_t port_id, uint64_t port_name);
/* an ELS frame (24-byte FC header + payload) in a FLOGI/FDISC/LOGO descriptor */
void fip_put_els(struct fip_buf *b, uint8_t desc_type, const uint8_t *frame, size_t len);
int fip_end(struct fip_buf *b);

#endif
