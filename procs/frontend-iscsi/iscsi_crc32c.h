/* CRC32C (Castagnoli) for iSCSI header and data digests (RFC 7143 13.1,
 * Appendix B.4): initial value ~0, final complement, sent least significant
 * byte first. Uses the SSE4.2 crc32 instruction when the CPU has it. */
#ifndef MTGT_ISCSI_CRC32C_H
#define MTGT_ISCSI_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define ISCSI_CRC32C_INIT 0xffffffffu

/* Continue a running CRC (start from ISCSI_CRC32C_INIT). */
uint32_t iscsi_crc32c_update(uint32_t crc, const void *buf, size_t len);
/* The digest of a finished run. */
static inline uint32_t iscsi_crc32c_final(uint32_t crc)
{
	return ~crc;
}
static inline uint32_t iscsi_crc32c(const void *buf, size_t len)
{
	return iscsi_crc32c_final(iscsi_crc32c_update(ISCSI_CRC32C_INIT, buf, len));
}
static inline void iscsi_digest_put(uint8_t *p, uint32_t d)
{
	p[0] = (uint8_t)d; p[1] = (uint8_t)(d >> 8);
	p[2] = (uint8_t)(d >> 16); p[3] = (uint8_t)(d >> 24);
}
static inline uint32_t iscsi_digest_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

#endif
