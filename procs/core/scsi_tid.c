/* TransportIDs (SPC-4 7.6.4) of the transports mtgt serves: how PERSISTENT
 * RESERVE IN READ FULL STATUS names a registered initiator port, and how
 * PERSISTENT RESERVE OUT (SPEC_I_PT, REGISTER AND MOVE) names one. The
 * format follows the initiator port's transport (scsi_itn.proto, from
 * MSG_NEXUS_ADD): iSCSI names are strings, FCP and SRP ports are binary
 * names that the frontends pass as "0x" + hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procs/core/scsi_pr.h"

#define TPID_FCP   0x00
#define TPID_SRP   0x04
#define TPID_ISCSI 0x05
#define TID_BIN_LEN 24  /* FCP and SRP TransportIDs: fixed 24 bytes */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* name is "0x" and exactly 2 * n hex digits: its bytes into out */
static bool hex_name(const char *name, uint8_t *out, uint32_t n)
{
	if (name[0] != '0' || (name[1] != 'x' && name[1] != 'X') || strlen(name) != 2 + 2 * n)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		int h = hexval(name[2 + 2 * i]), l = hexval(name[3 + 2 * i]);

		if (h < 0 || l < 0)
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

static void hex_put(const uint8_t *b, uint32_t n, char *name)
{
	name[0] = '0';
	name[1] = 'x';
	for (uint32_t i = 0; i < n; i++)
		snprintf(name + 2 + 2 * i, 3, "%02x", b[i]);
}

uint8_t scsi_itn_proto_of_name(const char *name)
{
	uint8_t b[16];

	if (hex_name(name, b, 8))
		return MSG_PROTO_FCP;
	if (hex_name(name, b, 16))
		return MSG_PROTO_SRP;
	return MSG_PROTO_ISCSI;
}

static uint32_t iscsi_parse(const uint8_t *p, uint32_t avail, struct scsi_itn *out)
{
	uint32_t len, total, nlen;
	uint8_t fmt;
	const char *s, *sep;
	char tmp[MSG_NAME_MAX + 32];

	fmt = p[0] >> 6;
	len = scsi_be16(p + 2);
	total = 4 + len;
	if (fmt > 1 || len < 4 || len % 4 || total > avail || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, p + 4, len);
	if (!memchr(tmp, 0, len))
		return 0;
	s = tmp;
	memset(out, 0, sizeof(*out));
	if (fmt == 0) {
		nlen = (uint32_t)strlen(s);
		out->isid = SCSI_ITN_ANY_ISID;
	} else {
		char *end;
		unsigned long long isid;

		sep = strstr(s, ",i,0x");
		if (!sep)
			sep = strstr(s, ",I,0X");
		if (!sep || strlen(sep + 5) != 12)
			return 0;
		isid = strtoull(sep + 5, &end, 16);
		if (*end)
			return 0;
		nlen = (uint32_t)(sep - s);
		out->isid = isid;
	}
	/* an iSCSI name never starts with "0x": the hex names are other
	 * transports' and must come in their own TransportID */
	if (nlen == 0 || nlen > 223 || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return 0;
	memcpy(out->name, s, nlen);
	out->name[nlen] = 0;
	out->proto = MSG_PROTO_ISCSI;
	return total;
}

uint32_t scsi_tid_parse(const uint8_t *p, uint32_t avail, const struct scsi_itn *self,
			struct scsi_itn *out)
{
	uint8_t proto;
	uint32_t n;

	if (avail < 4)
		return 0;
	switch (p[0] & 0x0f) {
	case TPID_ISCSI:
		return iscsi_parse(p, avail, out);
	case TPID_FCP:
		proto = MSG_PROTO_FCP;
		n = 8;
		break;
	case TPID_SRP:
		proto = MSG_PROTO_SRP;
		n = 16;
		break;
	default:
		return 0;
	}
	/* format 00 only, 24 bytes; the N_Port name sits at byte 8, the SRP
	 * initiator port identifier at byte 8 too */
	if ((p[0] >> 6) != 0 || avail < TID_BIN_LEN)
		return 0;
	memset(out, 0, sizeof(*out));
	hex_put(p + 8, n, out->name);
	if (proto == MSG_PROTO_FCP && !memcmp(out->name, "0x0000000000000000", 19))
		return 0; /* no port is named 0 */
	out->proto = proto;
	out->isid = self && self->proto == proto ? self->isid : SCSI_ITN_ANY_ISID;
	return TID_BIN_LEN;
}

uint32_t scsi_tid_build(const struct scsi_itn *itn, uint8_t *p)
{
	char s[MSG_NAME_MAX + 32];
	int n;
	uint32_t len;

	if (itn->proto == MSG_PROTO_FCP || itn->proto == MSG_PROTO_SRP) {
		uint8_t id[16];
		uint32_t idlen = itn->proto == MSG_PROTO_FCP ? 8 : 16;

		if (hex_name(itn->name, id, idlen)) {
			memset(p, 0, TID_BIN_LEN);
			p[0] = itn->proto == MSG_PROTO_FCP ? TPID_FCP : TPID_SRP;
			memcpy(p + 8, id, idlen);
			return TID_BIN_LEN;
		}
		/* a name the frontend should not have sent: report it as a
		 * name string rather than invent a port name */
	}
	if (itn->isid == SCSI_ITN_ANY_ISID || itn->proto != MSG_PROTO_ISCSI)
		n = snprintf(s, sizeof(s), "%s", itn->name);
	else
		n = snprintf(s, sizeof(s), "%s,i,0x%012llx", itn->name,
			     (unsigned long long)(itn->isid & 0xffffffffffffull));
	len = ((uint32_t)n + 1 + 3) & ~3u;
	if (len < 20)
		len = 20;
	memset(p, 0, 4 + len);
	/* format 01 (name,i,0xISID) when the ISID is known, else 00 */
	p[0] = (uint8_t)((itn->isid != SCSI_ITN_ANY_ISID && itn->proto == MSG_PROTO_ISCSI
			  ? 1 : 0) << 6 | TPID_ISCSI);
	scsi_put16(p + 2, (uint16_t)len);
	memcpy(p + 4, s, (size_t)n);
	return 4 + len;
}
