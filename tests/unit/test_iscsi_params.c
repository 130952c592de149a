/* Unit tests: iSCSI text parsing and login/text key negotiation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"

static const struct iscsi_limits lim = {
	.max_recv_dsl = 262144, .max_burst = 1048576, .first_burst = 262144,
	.max_outstanding_r2t = 4, .initial_r2t = false, .immediate_data = true,
	.tpgt = 1,
};

/* Build a NUL-separated text from a list of strings. */
static size_t mk(char *buf, const char *const *kv)
{
	size_t n = 0;

	for (; *kv; kv++) {
		size_t l = strlen(*kv) + 1;
		memcpy(buf + n, *kv, l);
		n += l;
	}
	return n;
}

/* Value of key in an answer text, or NULL. */
static const char *answer(const struct iscsi_text *t, const char *key)
{
	size_t pos = 0, kl = strlen(key);
	struct iscsi_kv kv;

	while (iscsi_text_next(t->buf, t->len, &pos, &kv) > 0)
		if (kv.klen == kl && !memcmp(kv.key, key, kl))
			return kv.val;
	return NULL;
}

static int neg(struct iscsi_neg *n, int csg, const char *const *kv, struct iscsi_text *out)
{
	char buf[4096];
	size_t len = mk(buf, kv);

	return iscsi_neg_login(n, csg, buf, len, out);
}

static void test_text_next(void **s)
{
	const char txt[] = "A=1\0\0B=\0C=x=y";
	struct iscsi_kv kv;
	size_t pos = 0;

	assert_int_equal(iscsi_text_next(txt, sizeof(txt) - 1, &pos, &kv), 1);
	assert_int_equal(kv.klen, 1);
	assert_memory_equal(kv.val, "1", 1);
	assert_int_equal(iscsi_text_next(txt, sizeof(txt) - 1, &pos, &kv), 1);
	assert_int_equal(kv.vlen, 0);
	assert_int_equal(iscsi_text_next(txt, sizeof(txt) - 1, &pos, &kv), 1);
	assert_int_equal(kv.vlen, 3); /* value may contain '=', no trailing NUL */
	assert_int_equal(iscsi_text_next(txt, sizeof(txt) - 1, &pos, &kv), 0);

	pos = 0;
	assert_int_equal(iscsi_text_next("noequals", 8, &pos, &kv), -EINVAL);
	pos = 0;
	assert_int_equal(iscsi_text_next("=v", 2, &pos, &kv), -EINVAL);
	char longkey[80];
	memset(longkey, 'k', 70);
	strcpy(longkey + 70, "=1");
	pos = 0;
	assert_int_equal(iscsi_text_next(longkey, strlen(longkey), &pos, &kv), -EINVAL);
}

static void test_numbers(void **s)
{
	uint64_t v;

	assert_int_equal(iscsi_parse_number("8192", 4, &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(iscsi_parse_number("0x10", 4, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(iscsi_parse_number("", 0, &v), -EINVAL);
	assert_int_equal(iscsi_parse_number("12a", 3, &v), -EINVAL);
	assert_int_equal(iscsi_parse_number("0x", 2, &v), -EINVAL);
	assert_int_equal(iscsi_parse_number("99999999999999999999999", 23, &v), -EINVAL);
}

static void test_names(void **s)
{
	char out[ISCSI_NAME_MAX + 1];

	assert_int_equal(iscsi_name_check("iqn.2026-11.ORG.x:Y", 19, out, sizeof(out)), 0);
	assert_string_equal(out, "iqn.2026-11.org.x:y");
	assert_int_equal(iscsi_name_check("eui.0123456789ABCDEF", 20, out, sizeof(out)), 0);
	assert_int_equal(iscsi_name_check("foo", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(iscsi_name_check("iqn.a b", 7, out, sizeof(out)), -EINVAL);
	char big[300];
	memset(big, 'a', sizeof(big));
	memcpy(big, "iqn.", 4);
	assert_int_equal(iscsi_name_check(big, 224, out, sizeof(out)), -EINVAL);
}

static void test_security_stage(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "InitiatorName=iqn.1994-05.com.example:init",
			     "TargetName=iqn.2026-11.org.mtgt:demo", "SessionType=Normal",
			     "AuthMethod=CHAP,None", "InitiatorAlias=host1", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_SECURITY, kv, &out), 0);
	/* recorded for the authentication step (test-iscsi-chap), not answered */
	assert_null(answer(&out, "AuthMethod"));
	assert_true(n.auth.have_method && n.auth.offer_chap && n.auth.offer_none);
	assert_true(n.have_initiator_name && n.have_target_name);
	assert_string_equal(n.p.initiator_name, "iqn.1994-05.com.example:init");
	assert_string_equal(n.p.initiator_alias, "host1");
	assert_null(answer(&out, "InitiatorName")); /* declarative: no answer */
	assert_int_equal(iscsi_neg_declare(&n, ISCSI_STAGE_SECURITY, &out), 0);
	assert_string_equal(answer(&out, "TargetPortalGroupTag"), "1");
	assert_null(answer(&out, "MaxRecvDataSegmentLength"));
	iscsi_text_free(&out);
}

static void test_auth_required(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "InitiatorName=iqn.1994-05.com.example:init", "AuthMethod=CHAP",
			     "CHAP_A=5,7,99,x", "CHAP_I=300", "CHAP_C=0bAAECAw==", NULL };
	const char *again[] = { "AuthMethod=None", NULL };
	const char *op[] = { "AuthMethod=None", "CHAP_N=x", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_SECURITY, kv, &out), 0);
	assert_true(n.auth.have_method && n.auth.offer_chap && !n.auth.offer_none);
	assert_int_equal(n.auth.a_mask, (1 << 5) | (1 << 7)); /* unknown ones skipped */
	assert_true(n.auth.have_i && n.auth.bad);             /* CHAP_I above 255 */
	assert_int_equal(n.auth.c_len, 4);
	assert_memory_equal(n.auth.c, "\x00\x01\x02\x03", 4);
	/* a key twice in one login */
	assert_int_equal(neg(&n, ISCSI_STAGE_SECURITY, again, &out), ISCSI_LOGIN_INITIATOR_ERROR);
	/* security keys in the operational stage are irrelevant */
	iscsi_neg_init(&n, &lim);
	iscsi_text_reset(&out);
	assert_int_equal(neg(&n, ISCSI_STAGE_OPERATIONAL, op, &out), 0);
	assert_string_equal(answer(&out, "AuthMethod"), "Irrelevant");
	assert_string_equal(answer(&out, "CHAP_N"), "Irrelevant");
	assert_false(n.auth.have_method || n.auth.have_n);
	iscsi_text_free(&out);
}

static void test_operational(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = {
		"HeaderDigest=CRC32C,None", "DataDigest=CRC32C", "MaxConnections=8",
		"InitialR2T=No", "ImmediateData=Yes", "MaxRecvDataSegmentLength=65536",
		"MaxBurstLength=16776192", "FirstBurstLength=4096", "DefaultTime2Wait=5",
		"DefaultTime2Retain=20", "MaxOutstandingR2T=16", "DataPDUInOrder=No",
		"DataSequenceInOrder=Yes", "ErrorRecoveryLevel=2", "IFMarker=Yes",
		"OFMarker=No", "OFMarkInt=2048~8192", "X-com.example.Foo=bar",
		"TaskReporting=FastAbort,RFC3720", "iSCSIProtocolLevel=2", "Bogus=1", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_OPERATIONAL, kv, &out), 0);
	assert_string_equal(answer(&out, "HeaderDigest"), "None");
	assert_string_equal(answer(&out, "DataDigest"), "Reject"); /* CRC32C only, not offered */
	assert_string_equal(answer(&out, "MaxConnections"), "4"); /* min(8, ISCSI_MAX_CONNS) */
	assert_string_equal(answer(&out, "InitialR2T"), "No");
	assert_string_equal(answer(&out, "ImmediateData"), "Yes");
	assert_null(answer(&out, "MaxRecvDataSegmentLength"));
	assert_int_equal(n.p.mrdsl_tx, 65536);
	assert_string_equal(answer(&out, "MaxBurstLength"), "1048576");
	assert_string_equal(answer(&out, "FirstBurstLength"), "4096");
	assert_string_equal(answer(&out, "DefaultTime2Wait"), "5");
	assert_string_equal(answer(&out, "DefaultTime2Retain"), "0"); /* before ERL=2 */
	assert_string_equal(answer(&out, "MaxOutstandingR2T"), "4");
	assert_string_equal(answer(&out, "DataPDUInOrder"), "Yes");
	assert_string_equal(answer(&out, "DataSequenceInOrder"), "Yes");
	assert_string_equal(answer(&out, "ErrorRecoveryLevel"), "2"); /* min(2, ours 2) */
	assert_string_equal(answer(&out, "IFMarker"), "No");
	assert_string_equal(answer(&out, "OFMarker"), "No");
	assert_string_equal(answer(&out, "OFMarkInt"), "Irrelevant");
	assert_string_equal(answer(&out, "X-com.example.Foo"), "NotUnderstood");
	assert_string_equal(answer(&out, "TaskReporting"), "RFC3720");
	assert_string_equal(answer(&out, "iSCSIProtocolLevel"), "1");
	assert_string_equal(answer(&out, "Bogus"), "NotUnderstood");
	assert_int_equal(iscsi_neg_declare(&n, ISCSI_STAGE_OPERATIONAL, &out), 0);
	assert_string_equal(answer(&out, "MaxRecvDataSegmentLength"), "262144");
	iscsi_neg_finish(&n);
	assert_int_equal(n.p.mrdsl_rx, 262144);
	assert_int_equal(n.p.first_burst, 4096);
	assert_int_equal(n.p.max_burst, 1048576);
	assert_false(n.p.initial_r2t);
	iscsi_text_free(&out);
}

static void test_or_and_semantics(void **s)
{
	struct iscsi_limits l2 = lim;
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "InitialR2T=No", "ImmediateData=Yes", NULL };

	l2.initial_r2t = true;     /* we insist: OR makes it Yes */
	l2.immediate_data = false; /* we refuse: AND makes it No */
	iscsi_neg_init(&n, &l2);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_OPERATIONAL, kv, &out), 0);
	assert_string_equal(answer(&out, "InitialR2T"), "Yes");
	assert_string_equal(answer(&out, "ImmediateData"), "No");
	assert_true(n.p.initial_r2t);
	assert_false(n.p.immediate_data);
	iscsi_text_free(&out);
}

static void test_digest_required(void **s)
{
	struct iscsi_limits l2 = lim;
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "HeaderDigest=None,CRC32C", "DataDigest=None", NULL };

	l2.crc32c = true;
	l2.hdigest_required = true; /* None is skipped in the initiator's list */
	l2.ddigest_required = true; /* only None offered: Reject, default stays */
	iscsi_neg_init(&n, &l2);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_OPERATIONAL, kv, &out), 0);
	assert_string_equal(answer(&out, "HeaderDigest"), "CRC32C");
	assert_string_equal(answer(&out, "DataDigest"), "Reject");
	assert_true(n.p.header_digest);
	assert_false(n.p.data_digest);
	iscsi_text_free(&out);
}

static void test_bad_values(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "MaxBurstLength=100", "InitialR2T=Maybe",
			     "MaxRecvDataSegmentLength=0x1000000", "ErrorRecoveryLevel=3",
			     "DefaultTime2Wait=3601", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, ISCSI_STAGE_OPERATIONAL, kv, &out), 0);
	assert_string_equal(answer(&out, "MaxBurstLength"), "Reject");
	assert_string_equal(answer(&out, "InitialR2T"), "Reject");
	assert_string_equal(answer(&out, "MaxRecvDataSegmentLength"), "Reject");
	assert_string_equal(answer(&out, "ErrorRecoveryLevel"), "Reject");
	assert_string_equal(answer(&out, "DefaultTime2Wait"), "Reject");
	/* defaults stand */
	assert_int_equal(n.p.max_burst, 262144);
	assert_int_equal(n.p.mrdsl_tx, 8192);
	iscsi_text_free(&out);
}

static void test_duplicate_and_malformed(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *dup[] = { "MaxBurstLength=4096", "MaxBurstLength=8192", NULL };
	const char *bad[] = { "NoEqualsHere", NULL };
	const char *st[] = { "SessionType=Weird", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, 1, dup, &out), ISCSI_LOGIN_INITIATOR_ERROR);
	iscsi_neg_init(&n, &lim);
	assert_int_equal(neg(&n, 1, bad, &out), ISCSI_LOGIN_INITIATOR_ERROR);
	iscsi_neg_init(&n, &lim);
	assert_int_equal(neg(&n, 0, st, &out), ISCSI_LOGIN_SESSION_TYPE_UNSUPPORTED);
	iscsi_text_free(&out);
}

static void test_discovery_session(void **s)
{
	struct iscsi_neg n;
	struct iscsi_text out;
	const char *kv[] = { "InitiatorName=iqn.1994-05.com.example:init",
			     "SessionType=Discovery", "AuthMethod=None", NULL };

	iscsi_neg_init(&n, &lim);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(neg(&n, 0, kv, &out), 0);
	assert_int_equal(n.p.session_type, ISCSI_SESSION_DISCOVERY);
	assert_int_equal(iscsi_neg_declare(&n, 0, &out), 0);
	assert_null(answer(&out, "TargetPortalGroupTag")); /* Normal sessions only */
	iscsi_text_free(&out);
}

static void test_text_ffp(void **s)
{
	struct iscsi_params p;
	struct iscsi_text out;
	char st[256];
	bool have;
	const char t1[] = "SendTargets=All\0MaxRecvDataSegmentLength=16384\0InitialR2T=Yes\0Foo=1";

	iscsi_params_defaults(&p);
	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	assert_int_equal(iscsi_neg_text(&p, t1, sizeof(t1), &out, st, sizeof(st), &have), 0);
	assert_true(have);
	assert_string_equal(st, "All");
	assert_int_equal(p.mrdsl_tx, 16384);
	assert_string_equal(answer(&out, "InitialR2T"), "Reject");
	assert_string_equal(answer(&out, "Foo"), "NotUnderstood");
	iscsi_text_reset(&out);
	assert_int_equal(iscsi_neg_text(&p, "SendTargets=", 12, &out, st, sizeof(st), &have), 0);
	assert_true(have);
	assert_string_equal(st, "");
	iscsi_text_free(&out);
}

static void test_text_bounds(void **s)
{
	struct iscsi_text t;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	iscsi_text_init(&t, 1500);
	assert_int_equal(iscsi_text_add(&t, "K", big), 0);
	assert_int_equal(iscsi_text_add(&t, "K", big), -E2BIG);
	assert_int_equal(t.len, 1 + 1 + 1000); /* failed add left nothing behind */
	iscsi_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_next),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_security_stage),
		cmocka_unit_test(test_auth_required),
		cmocka_unit_test(test_operational),
		cmocka_unit_test(test_or_and_semantics),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_duplicate_and_malformed),
		cmocka_unit_test(test_discovery_session),
		cmocka_unit_test(test_text_ffp),
		cmocka_unit_test(test_text_bounds),
		cmocka_unit_test(test_digest_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
