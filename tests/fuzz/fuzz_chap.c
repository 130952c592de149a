/* libFuzzer harness: login requests of the security stage (key parsing, CHAP
 * value decoding, the CHAP state machine) from arbitrary bytes. The input is
 * split into requests at 0xff bytes; the first byte picks the credentials
 * (none, one-way, mutual) and the stage of each request. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "procs/frontend-iscsi/iscsi_chap.h"
#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct iscsi_limits lim = { .max_recv_dsl = 262144, .max_burst = 262144,
		.first_burst = 65536, .max_outstanding_r2t = 1, .tpgt = 1 };
	static const struct chap_prefs prefs = { { CHAP_ALG_SHA3_256, CHAP_ALG_SHA256,
						   CHAP_ALG_MD5 }, 3 };
	static struct chap_cred cred;
	static struct iscsi_neg n;
	struct iscsi_auth a;
	struct iscsi_text out;
	uint8_t bin[ISCSI_CHAP_BIN_MAX];
	size_t pos = 1;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0];
	memset(&cred, 0, sizeof(cred));
	strcpy(cred.user, "alice");
	memcpy(cred.secret, "alice-secret-1", 14);
	cred.secret_len = 14;
	if (mode & 2) {
		cred.mutual = true;
		strcpy(cred.muser, "target");
		memcpy(cred.msecret, "target-secret-2", 15);
		cred.msecret_len = 15;
	}
	(void)iscsi_decode_binary((const char *)data + 1, size - 1, bin, sizeof(bin));
	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	iscsi_auth_init(&a, (mode & 1) ? &cred : NULL, &prefs);
	for (int r = 0; r < 8 && pos < size; r++) {
		const uint8_t *end = memchr(data + pos, 0xff, size - pos);
		size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
		int csg = (mode >> (2 + r % 4)) & 1;
		bool transit = (mode >> 6) & 1;
		int st;

		iscsi_text_reset(&out);
		st = iscsi_neg_login(&n, csg, (const char *)data + pos, len, &out);
		if (!st)
			st = iscsi_auth_step(&a, &n.auth, csg, &out);
		if (!st)
			st = iscsi_auth_transit(&a, csg, &transit);
		pos += len + 1;
		if (st)
			break;
	}
	iscsi_text_free(&out);
	return 0;
}
