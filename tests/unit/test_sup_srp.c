/* mtgtd config: the "srp" ports, "srp_options" and targets' srp_initiators
 * (supervisor/sup_srp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "supervisor/sup_config.h"

#define PRE "{\"admin_socket\":\"/tmp/x.sock\",\"portals\":[\"127.0.0.1:3260\"],"
#define TGT "\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\",\"initiators\":[\"*\"]," \
	"\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]"
#define PID "\"0x00112233445566778899AABBCCDDEEFF\""

static int load(const char *json, struct sup_config *cfg, char *err, size_t errlen)
{
	json_t *root = json_loads(json, 0, NULL);
	int r;

	assert_non_null(root);
	r = sup_config_load_json(cfg, root, err, errlen);
	json_decref(root);
	return r;
}

static void expect_error(const char *json, const char *field)
{
	struct sup_config cfg;
	char err[512] = "";

	assert_int_equal(load(json, &cfg, err, sizeof(err)), -EINVAL);
	if (!strstr(err, field))
		fail_msg("error \"%s\" does not name \"%s\"", err, field);
	sup_config_free(&cfg);
}

static void test_good(void **state)
{
	struct sup_config cfg;
	char err[512] = "";

	assert_int_equal(load(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":" PID ","
			      "\"target\":\"iqn.2026-11.org.t:a\",\"path\":\"/tmp/s.sock\"},"
			      "{\"transport\":\"verbs\",\"port_id\":\"00112233445566778899aabbccddeef0\","
			      "\"target\":\"iqn.2026-11.org.t:a\",\"port\":4791}],"
			      "\"srp_options\":{\"queue_depth\":32,\"multichannel\":false}," TGT
			      ",\"srp_initiators\":[\"0x0000000000000000AABBCCDDEEFF0001\"]}]}",
			      &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nsrp, 2);
	assert_false(cfg.srp[0].verbs);
	assert_string_equal(cfg.srp[0].port_id, "0x00112233445566778899aabbccddeeff");
	assert_string_equal(cfg.srp[0].path, "/tmp/s.sock");
	assert_true(cfg.srp[1].verbs);
	assert_int_equal(cfg.srp[1].port, 4791);
	assert_int_equal(cfg.targets[0].nsrp_initiators, 1);
	assert_string_equal(cfg.targets[0].srp_initiators[0], "0x0000000000000000aabbccddeeff0001");
	assert_non_null(cfg.srp_options);
	sup_config_free(&cfg);
}

static void test_bad(void **state)
{
	expect_error(PRE "\"srp\":[{\"transport\":\"tcp\",\"port_id\":" PID ",\"target\":\"x\"}]," TGT "}]}",
		     "srp[0].transport");
	expect_error(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":\"0x12\",\"target\":\"x\","
		     "\"path\":\"/tmp/s\"}]," TGT "}]}", "srp[0].port_id");
	expect_error(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:b\",\"path\":\"/tmp/s\"}]," TGT "}]}",
		     "srp[0].target");
	expect_error(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}", "srp[0].path");
	expect_error(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:a\",\"path\":\"/tmp/s\",\"colour\":1}]," TGT "}]}",
		     "srp[0].colour");
	expect_error(PRE "\"srp\":[{\"transport\":\"soft\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:a\",\"path\":\"/tmp/s\"},"
		     "{\"transport\":\"soft\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:a\",\"path\":\"/tmp/t\"}]," TGT "}]}",
		     "srp[1].port_id");
	expect_error(PRE "\"srp\":[{\"transport\":\"verbs\",\"port_id\":" PID ","
		     "\"target\":\"iqn.2026-11.org.t:a\",\"port\":70000}]," TGT "}]}", "srp[0].port");
	expect_error(PRE "\"srp_options\":{\"depth\":3}," TGT "}]}", "srp_options.depth");
	expect_error(PRE TGT ",\"srp_initiators\":[\"iqn.x\"]}]}", "srp_initiators[0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
