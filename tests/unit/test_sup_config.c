/* mtgtd config parsing: good configs load, every bad one names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "supervisor/sup_acl.h"
#include "supervisor/sup_config.h"

static void expect_error(const char *json, const char *field)
{
	struct sup_config cfg;
	json_t *root = json_loads(json, 0, NULL);
	char err[512] = "";

	assert_non_null(root);
	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), -EINVAL);
	if (!strstr(err, field))
		fail_msg("error \"%s\" does not name \"%s\"", err, field);
	sup_config_free(&cfg);
	json_decref(root);
}

#define BASE_PRE  "{\"admin_socket\":\"/tmp/x.sock\",\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\",\"initiators\":[\"*\"],\"luns\":["
#define BASE_POST "]}]}"

static void test_good(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads(BASE_PRE
		"{\"lun\":0,\"backend\":\"file\",\"path\":\"/tmp/d.img\",\"size\":\"10G\"},"
		"{\"lun\":1,\"backend\":\"null\",\"size\":\"1T\"},"
		"{\"lun\":2,\"backend\":\"ram\",\"size\":\"256M\",\"block_size\":4096,\"readonly\":true}"
		BASE_POST, 0, NULL);

	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_int_equal(cfg.ntargets, 1);
	assert_int_equal(cfg.targets[0].nluns, 3);
	assert_int_equal(cfg.targets[0].luns[0].size, 10ull << 30);
	assert_int_equal(cfg.targets[0].luns[1].size, 1ull << 40);
	assert_int_equal(cfg.targets[0].luns[2].block_size, 4096);
	assert_true(cfg.targets[0].luns[2].readonly);
	assert_int_equal(cfg.portals[0].port, 3260);
	sup_config_free(&cfg);
	json_decref(root);
}

static void test_default(void **state)
{
	struct sup_config cfg;
	char err[512];

	assert_int_equal(sup_config_default(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.targets[0].name, "iqn.2026-11.org.mtgt:demo");
	assert_int_equal(cfg.targets[0].luns[0].size, 1ull << 30);
	assert_string_equal(cfg.portals[0].text, "127.0.0.1:3260");
	sup_config_free(&cfg);
}

static void test_errors(void **state)
{
	expect_error("[]", "config");
	expect_error("{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[],\"bogus\":1}", "bogus");
	expect_error("{\"portals\":[\"1.2.3:80\"],\"targets\":[]}", "portals[0]");
	expect_error("{\"portals\":[\"127.0.0.1:99999\"],\"targets\":[]}", "portals[0]");
	expect_error("{\"targets\":[]}", "portals");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"tape\",\"size\":\"1G\"}" BASE_POST,
		     "targets[0].luns[0].backend");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"file\",\"size\":\"1G\"}" BASE_POST,
		     "targets[0].luns[0].path");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"12Q\"}" BASE_POST,
		     "targets[0].luns[0].size");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"block_size\":1000}" BASE_POST,
		     "targets[0].luns[0].block_size");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"},{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}" BASE_POST,
		     "targets[0].luns[1].lun");
	expect_error(BASE_PRE "{\"lun\":-1,\"backend\":\"null\",\"size\":\"1G\"}" BASE_POST,
		     "targets[0].luns[0].lun");
	expect_error("{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"bad name\",\"initiators\":[\"*\"],\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}]}",
		     "targets[0].name");
	expect_error("{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.a:b\",\"initiators\":[\"iqn.2026-13.bad\"],\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}]}",
		     "targets[0].initiators");
}

#define T_PRE "{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.a:b\",\"initiators\":[\"*\"],\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]"

static void test_chap(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"0123456789ab\","
		"\"mutual_user\":\"t\",\"mutual_secret\":\"ba9876543210\"}}],"
		"\"discovery_chap\":{\"user\":\"d\",\"secret\":\"discovery-secret\"},"
		"\"chap_algorithms\":[\"MD5\",\"SHA-256\"]}", 0, NULL);

	assert_non_null(root);
	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_true(cfg.targets[0].chap.set);
	assert_string_equal(cfg.targets[0].chap.mutual_user, "t");
	assert_true(cfg.discovery_chap.set);
	assert_int_equal(cfg.nchap_algs, 2);
	assert_string_equal(cfg.chap_algs[0], "MD5");
	sup_config_free(&cfg);
	json_decref(root);

	/* a short secret is refused at load time, and the message names no secret */
	root = json_loads(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"short-pw\"}}]}", 0, NULL);
	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "targets[0].chap.secret"));
	assert_null(strstr(err, "short-pw"));
	sup_config_free(&cfg);
	json_decref(root);

	expect_error(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"0123456789ab\",\"mutual_user\":\"t\"}}]}",
		     "targets[0].chap");
	expect_error(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"0123456789ab\",\"mutual_user\":\"t\","
		     "\"mutual_secret\":\"0123456789ab\"}}]}", "targets[0].chap.mutual_secret");
	expect_error(T_PRE ",\"chap\":{\"secret\":\"0123456789ab\"}}]}", "targets[0].chap.user");
	expect_error(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"0123456789ab\",\"pw\":1}}]}",
		     "targets[0].chap.pw");
	expect_error(T_PRE "}],\"discovery_chap\":{\"user\":\"d\",\"secret\":\"x\"}}",
		     "discovery_chap.secret");
	expect_error(T_PRE ",\"chap\":{\"user\":\"u\",\"secret\":\"0123456789ab\",\"mutual_user\":\"t\","
		     "\"mutual_secret\":\"discovery-secret\"}}],\"discovery_chap\":{\"user\":\"d\","
		     "\"secret\":\"discovery-secret\"}}", "targets[0].chap.mutual_secret");
	expect_error(T_PRE "}],\"chap_algorithms\":[\"SHA-1\"]}", "chap_algorithms[0]");
	expect_error(T_PRE "}],\"chap_algorithms\":[\"MD5\",\"MD5\"]}", "chap_algorithms[1]");
	expect_error(T_PRE "}],\"chap_algorithms\":[]}", "chap_algorithms");
}

static void test_thin(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads(BASE_PRE "{\"lun\":0,\"backend\":\"file\",\"path\":\"/tmp/t.img\","
				  "\"size\":\"1G\",\"thin\":true}" BASE_POST, 0, NULL);

	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_true(cfg.targets[0].luns[0].thin);
	sup_config_free(&cfg);
	json_decref(root);
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"thin\":1}" BASE_POST,
		     "targets[0].luns[0].thin");
}

/* Storage keys of issue 8: cache, direct, physical_block_size, type,
 * removable, queue_depth, and the "backends" tunables. */
static void test_storage(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads(BASE_PRE
		"{\"lun\":0,\"backend\":\"file\",\"path\":\"/tmp/t.img\",\"size\":\"1G\","
		"\"cache\":\"writethrough\",\"direct\":true,\"physical_block_size\":4096,"
		"\"queue_depth\":8,\"removable\":true},"
		"{\"lun\":1,\"backend\":\"file\",\"path\":\"/tmp/t.iso\",\"type\":\"cdrom\"}"
		"]}],\"backends\":{\"file\":{\"engine\":\"libaio\",\"queue_depth\":64}}}", 0, NULL);
	struct sup_lun *l;

	(void)state;
	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	l = &cfg.targets[0].luns[0];
	assert_true(l->writethrough && l->direct && l->removable && !l->cdrom);
	assert_int_equal(l->phys_block_size, 4096);
	assert_int_equal(l->queue_depth, 8);
	l = &cfg.targets[0].luns[1];
	assert_true(l->cdrom && l->readonly && l->removable);
	assert_int_equal(l->block_size, 2048);
	assert_string_equal(json_string_value(json_object_get(cfg.backend_cfg[SUP_BE_FILE],
							      "engine")), "libaio");
	sup_config_free(&cfg);
	json_decref(root);
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"cache\":\"none\"}"
		     BASE_POST, "targets[0].luns[0].cache");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"direct\":true}"
		     BASE_POST, "targets[0].luns[0].direct");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"block_size\":4096,"
		     "\"physical_block_size\":512}" BASE_POST, "targets[0].luns[0].physical_block_size");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"ram\",\"size\":\"1G\",\"type\":\"cdrom\"}"
		     BASE_POST, "targets[0].luns[0].type");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"file\",\"path\":\"/x.iso\",\"type\":\"cdrom\","
		     "\"block_size\":512}" BASE_POST, "targets[0].luns[0].block_size");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\",\"queue_depth\":5000}"
		     BASE_POST, "targets[0].luns[0].queue_depth");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}],"
		     "\"backends\":{\"file\":{\"engine\":\"spdk\"}}}", "backends.file.engine");
	expect_error(BASE_PRE "{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}],"
		     "\"backends\":{\"null\":{\"engine\":\"libaio\"}}}", "backends.null.engine");
}

static void test_portals_and_login(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads("{\"portals\":[\"127.0.0.1:3260\",{\"address\":\"[::1]:3261\",\"group\":2}],"
		"\"iscsi\":{\"nop_interval_s\":5,\"nop_timeout_s\":10},"
		"\"targets\":[{\"name\":\"iqn.2026-11.a:b\",\"initiators\":[\"*\"],"
		"\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}],\"max_sessions\":4,"
		"\"redirect\":{\"address\":\"127.0.0.2:3260\",\"type\":\"permanent\"},"
		"\"portal_groups\":[2]}]}", 0, NULL);

	assert_non_null(root);
	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_int_equal(cfg.nportals, 2);
	assert_int_equal(cfg.portals[0].group, 1);
	assert_int_equal(cfg.portals[1].group, 2);
	assert_string_equal(cfg.portals[1].host, "::1");
	assert_int_equal(cfg.nop_interval_s, 5);
	assert_int_equal(cfg.nop_timeout_s, 10);
	assert_int_equal(cfg.targets[0].max_sessions, 4);
	assert_true(cfg.targets[0].redirect.set && cfg.targets[0].redirect.permanent);
	assert_int_equal(cfg.targets[0].ngroups, 1);
	sup_config_free(&cfg);
	json_decref(root);

	expect_error("{\"portals\":[{\"address\":\"127.0.0.1:1\",\"group\":0}],\"targets\":[]}",
		     "portals[0].group");
	expect_error("{\"portals\":[\"127.0.0.1:1\",\"127.0.0.1:1\"],\"targets\":[]}", "portals[1]");
	expect_error("{\"portals\":[\"127.0.0.1:1\"],\"iscsi\":{\"nop_timeout_s\":0},\"targets\":[]}",
		     "iscsi.nop_timeout_s");
	expect_error(T_PRE ",\"max_sessions\":-1}]}", "targets[0].max_sessions");
	expect_error(T_PRE ",\"redirect\":{\"address\":\"nowhere\"}}]}", "targets[0].redirect.address");
	expect_error(T_PRE ",\"redirect\":{\"address\":\"127.0.0.1:1\",\"type\":\"maybe\"}}]}",
		     "targets[0].redirect.type");
	expect_error(T_PRE ",\"portal_groups\":[7]}]}", "targets[0].portal_groups[0]");
}

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(sup_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(sup_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sup_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_not_equal(sup_parse_size("", &v), 0);
	assert_int_not_equal(sup_parse_size("-1G", &v), 0);
	assert_int_not_equal(sup_parse_size("99999999999P", &v), 0);
	assert_int_not_equal(sup_parse_size("1G1", &v), 0);
}

/* RFC 3720 3.2.6.3 name forms */
static void test_iscsi_names(void **state)
{
	static const char *const good[] = {
		"iqn.2026-11.org.example:store", "iqn.1991-05.com.microsoft:host-1",
		"iqn.2001-04.com.example", "eui.02004567A425678D", "naa.52004567BA64678D",
		"naa.62004567BA64678D0123456789ABCDEF", NULL };
	static const char *const bad[] = {
		"", "iqn.", "iqn.2026-13.org.x:y", "iqn.2026-00.org.x", "iqn.26-11.org.x",
		"iqn.2026-11", "iqn.2026-11.:x", "eui.12345", "eui.02004567A425678G",
		"naa.1234567890ABCDEF0", "target0", "iqn.2026-11.org.x y", "iqn.2026-11.org.x/y",
		NULL };
	char longname[300];

	for (const char *const *n = good; *n; n++)
		if (sup_iscsi_name_check(*n))
			fail_msg("%s refused: %s", *n, sup_iscsi_name_check(*n));
	for (const char *const *n = bad; *n; n++)
		if (!sup_iscsi_name_check(*n))
			fail_msg("%s accepted", *n);
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "iqn.2026-11.org.", 16);
	longname[224] = 0;
	assert_non_null(sup_iscsi_name_check(longname));
}

/* ACL entries: names, maps, read-only; maps must name LUNs that exist */
#define TUNED(x) "{\"admin_socket\":\"/tmp/x.sock\"," x ",\"portals\":[\"127.0.0.1:3260\"]," \
	"\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\",\"initiators\":[\"*\"]," \
	"\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}]}"

/* The idle policy of the frontend, the core and the backends: set keys are
 * passed on as given, out of range or unknown ones name their field. */
static void test_tuning(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads("{\"admin_socket\":\"/tmp/x.sock\","
		"\"iscsi\":{\"poll_us\":0,\"yield\":3,\"rx_batch\":false},"
		"\"core\":{\"poll_us\":500,\"commands\":64},"
		"\"backends\":{\"file\":{\"poll_us\":50,\"sync_reads\":false}},"
		"\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\","
		"\"initiators\":[\"*\"],\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}]}]}",
		0, NULL);

	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(cfg.iscsi_tuning, "poll_us")), 0);
	assert_int_equal(json_integer_value(json_object_get(cfg.iscsi_tuning, "yield")), 3);
	assert_int_equal(json_integer_value(json_object_get(cfg.iscsi_tuning, "rx_batch")), 0);
	assert_int_equal(json_integer_value(json_object_get(cfg.core_tuning, "poll_us")), 500);
	assert_int_equal(json_integer_value(json_object_get(cfg.core_tuning, "commands")), 64);
	assert_null(json_object_get(cfg.core_tuning, "yield"));
	sup_config_free(&cfg);
	json_decref(root);

	expect_error(TUNED("\"core\":{\"poll_us\":10001}"), "core.poll_us");
	expect_error(TUNED("\"core\":{\"poll_us\":-1}"), "core.poll_us");
	expect_error(TUNED("\"core\":{\"commands\":0}"), "core.commands");
	expect_error(TUNED("\"core\":{\"spinn\":1}"), "spinn");
	expect_error(TUNED("\"core\":[]"), "core");
	expect_error(TUNED("\"iscsi\":{\"poll_us\":\"200\"}"), "iscsi.poll_us");
	expect_error(TUNED("\"iscsi\":{\"yield\":1001}"), "iscsi.yield");
	expect_error(TUNED("\"iscsi\":{\"rx_batch\":1}"), "iscsi.rx_batch");
	expect_error(TUNED("\"backends\":{\"file\":{\"poll_us\":20000}}"), "backends.file.poll_us");
	expect_error(TUNED("\"backends\":{\"null\":{\"sync_reads\":true}}"), "sync_reads");
	expect_error(TUNED("\"backends\":{\"file\":{\"sync_reads\":1}}"), "backends.file.sync_reads");
}

static void test_acls(void **state)
{
	struct sup_config cfg;
	char err[512];
	json_t *root = json_loads(
		"{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\","
		"\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"},"
		"{\"lun\":4,\"backend\":\"null\",\"size\":\"1G\"}],"
		"\"initiators\":[\"*\",{\"name\":\"iqn.2026-11.org.i:one\",\"luns\":[0],"
		"\"map\":{\"7\":4},\"readonly\":true}]}]}", 0, NULL);
	json_t *j;

	assert_int_equal(sup_config_load_json(&cfg, root, err, sizeof(err)), 0);
	assert_int_equal(cfg.targets[0].ninitiators, 2);
	assert_true(cfg.targets[0].acls[0].all);
	assert_false(cfg.targets[0].acls[1].all);
	assert_true(cfg.targets[0].acls[1].readonly);
	assert_int_equal(cfg.targets[0].acls[1].nmap, 2);
	assert_int_equal(cfg.targets[0].acls[1].map[1].ilun, 7);
	assert_int_equal(cfg.targets[0].acls[1].map[1].tlun, 4);
	j = sup_acl_json(&cfg.targets[0], 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "map"), "7")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "map"), "0")), 0);
	json_decref(j);
	j = sup_acl_json(&cfg.targets[0], 0);
	assert_string_equal(json_string_value(j), "*");
	json_decref(j);
	/* the document keeps what was written, paths made absolute */
	assert_non_null(cfg.doc);
	assert_true(json_is_object(json_array_get(json_object_get(
		json_array_get(json_object_get(cfg.doc, "targets"), 0), "initiators"), 1)));
	sup_config_free(&cfg);
	json_decref(root);

#define ACL_PRE "{\"portals\":[\"127.0.0.1:3260\"],\"targets\":[{\"name\":\"iqn.2026-11.org.t:a\",\"luns\":[{\"lun\":0,\"backend\":\"null\",\"size\":\"1G\"}],\"initiators\":["
	expect_error(ACL_PRE "{\"name\":\"iqn.2026-11.org.i:x\",\"luns\":[3]}]}]}",
		     "target has no LUN 3");
	expect_error(ACL_PRE "{\"name\":\"iqn.2026-11.org.i:x\",\"luns\":[0],\"map\":{\"0\":0}}]}]}",
		     "LUN 0 given twice");
	expect_error(ACL_PRE "{\"name\":\"iqn.2026-11.org.i:x\",\"colour\":1}]}]}",
		     "initiators[0].colour");
	expect_error(ACL_PRE "{\"name\":\"iqn.2026-11.org.i:x\",\"map\":{\"a\":0}}]}]}",
		     "initiators[0].map");
	expect_error(ACL_PRE "\"iqn.2026-11.org.i:x\",\"IQN.2026-11.ORG.I:X\"]}]}",
		     "listed twice");
	expect_error(ACL_PRE "\"iqn.2026-11.org.i:x\"]}],\"admin\":{\"group\":\"no-such-group-x\"}}",
		     "admin.group");
	expect_error(ACL_PRE "\"*\"]}],\"start_backends\":[\"tape\"]}", "start_backends[0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_chap),
		cmocka_unit_test(test_thin),
		cmocka_unit_test(test_storage),
		cmocka_unit_test(test_portals_and_login),
		cmocka_unit_test(test_iscsi_names),
		cmocka_unit_test(test_acls),
		cmocka_unit_test(test_tuning),
	};
	return cmocka_run_group_tests_name("sup_config", tests, NULL, NULL);
}
