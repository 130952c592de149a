/* mtgtd config: the "fc" ports, "fc_options" and targets' fc_initiators
 * (supervisor/sup_fc.c). */
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
#define PORT(extra) "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"veth0\"," \
	"\"wwpn\":\"0x2000001B32AA0001\",\"wwnn\":\"0x2000001b32aa0000\"," \
	"\"target\":\"iqn.2026-11.org.t:a\"" extra "}],"

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

	assert_int_equal(load(PRE PORT(",\"mode\":\"vn2vn\",\"port_id\":\"0x010a01\","
				       "\"fip_vlans\":[1002]")
			      "\"fc_options\":{\"max_io\":1048576,\"pool_bytes\":1048576,"
			      "\"wait_queue\":12}," TGT
			      ",\"fc_initiators\":[\"0x2100001B32BB0001\"]}]}",
			      &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nfc, 1);
	assert_string_equal(cfg.fc[0].interface, "veth0");
	assert_string_equal(cfg.fc[0].wwpn, "0x2000001b32aa0001");
	assert_int_equal(cfg.fc[0].port_id, 0x010a01);
	assert_non_null(cfg.fc[0].fip_vlans);
	assert_int_equal(cfg.targets[0].nfc_initiators, 1);
	assert_string_equal(cfg.targets[0].fc_initiators[0], "0x2100001b32bb0001");
	assert_non_null(cfg.fc_options);
	sup_config_free(&cfg);
}

static void test_bad(void **state)
{
	expect_error(PRE PORT(",\"speed\":1") TGT "}]}", "fc[0].speed");
	expect_error(PRE "\"fc\":[{\"driver\":\"qla2xxx\"}]," TGT "}]}", "fc[0].driver");
	expect_error(PRE "\"fc\":{}," TGT "}]}", "fc: must be an array");
	expect_error(PRE PORT(",\"mode\":\"fcf\"") TGT "}]}", "fc[0].mode");
	expect_error(PRE PORT(",\"port_id\":\"0xfffffe\"") TGT "}]}", "fc[0].port_id");
	expect_error(PRE PORT(",\"port_id\":66049") TGT "}]}", "fc[0].port_id");
	expect_error(PRE PORT(",\"fip_vlans\":[0]") TGT "}]}", "fc[0].fip_vlans[0]");
	expect_error(PRE PORT(",\"fip_vlans\":5") TGT "}]}", "fc[0].fip_vlans");
	expect_error(PRE "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"veth0\","
		     "\"wwpn\":\"0x0000000000000000\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}", "fc[0].wwpn");
	expect_error(PRE "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"a/b\","
		     "\"wwpn\":\"0x2000001b32aa0001\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}", "fc[0].interface");
	expect_error(PRE "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"veth0\","
		     "\"wwpn\":\"0x2000001b32aa0001\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:nope\"}]," TGT "}]}", "fc[0].target");
	expect_error(PRE "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"veth0\","
		     "\"wwpn\":\"0x2000001b32aa0001\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"},{\"driver\":\"fcoe\",\"interface\":\"veth1\","
		     "\"wwpn\":\"0x2000001b32aa0001\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}", "fc[1].wwpn");
	expect_error(PRE PORT("") "\"fc_options\":{\"queue\":1}," TGT "}]}", "fc_options.queue");
	expect_error(PRE PORT("") "\"fc_options\":{\"pool_bytes\":4096}," TGT "}]}",
		     "fc_options.pool_bytes");
	expect_error(PRE PORT("") "\"fc_options\":{\"wait_queue\":5000}," TGT "}]}",
		     "fc_options.wait_queue");
	expect_error(PRE PORT("") TGT ",\"fc_initiators\":[\"2100001b32bb0001\"]}]}",
		     "fc_initiators[0]");
}

#define VPORT(extra) "\"fc\":[{\"driver\":\"vfio\",\"wwpn\":\"0x2000001b32aa0002\"," \
	"\"wwnn\":\"0x2000001b32aa0000\",\"target\":\"iqn.2026-11.org.t:a\"" extra "}],"

/* "driver": "vfio": a PCI address (canonical form kept), optional group and
 * MSI-X count, no FCoE keys, no packet socket; beside an FCoE port. */
static void test_vfio(void **state)
{
	struct sup_config cfg;
	char err[512] = "";

	assert_int_equal(load(PRE "\"fc\":[{\"driver\":\"fcoe\",\"interface\":\"veth0\","
			      "\"wwpn\":\"0x2000001b32aa0001\",\"wwnn\":\"0x2000001b32aa0000\","
			      "\"target\":\"iqn.2026-11.org.t:a\"},{\"driver\":\"vfio\","
			      "\"pci\":\"03:00.1\",\"iommu_group\":7,\"msix\":2,"
			      "\"wwpn\":\"0x2000001b32aa0002\",\"wwnn\":\"0x2000001b32aa0000\","
			      "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}",
			      &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nfc, 2);
	assert_false(cfg.fc[0].vfio);
	assert_true(cfg.fc[1].vfio);
	assert_string_equal(cfg.fc[1].pci, "0000:03:00.1");
	assert_int_equal(cfg.fc[1].iommu_group, 7);
	assert_int_equal(cfg.fc[1].msix, 2);
	sup_config_free(&cfg);

	assert_int_equal(load(PRE VPORT(",\"pci\":\"0000:81:00.0\"") TGT "}]}", &cfg, err,
			      sizeof(err)), 0);
	assert_int_equal(cfg.fc[0].iommu_group, -1);
	assert_int_equal(cfg.fc[0].msix, 0);
	sup_config_free(&cfg);

	expect_error(PRE VPORT("") TGT "}]}", "fc[0].pci");
	expect_error(PRE VPORT(",\"pci\":\"0000:81:00.8\"") TGT "}]}", "fc[0].pci");
	expect_error(PRE VPORT(",\"pci\":\"81:00\"") TGT "}]}", "fc[0].pci");
	expect_error(PRE VPORT(",\"pci\":3") TGT "}]}", "fc[0].pci");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"iommu_group\":-1") TGT "}]}",
		     "fc[0].iommu_group");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"iommu_group\":\"7\"") TGT "}]}",
		     "fc[0].iommu_group");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"msix\":0") TGT "}]}", "fc[0].msix");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"msix\":65") TGT "}]}", "fc[0].msix");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"interface\":\"eth0\"") TGT "}]}",
		     "not for a vfio port");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"fip_vlans\":[1]") TGT "}]}",
		     "fc[0].fip_vlans");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"fd\":3") TGT "}]}", "fc[0].fd");
	expect_error(PRE "\"fc\":[{\"driver\":\"vfio\",\"pci\":\"81:00.0\","
		     "\"wwpn\":\"0x2000001b32aa0002\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"},{\"driver\":\"vfio\",\"pci\":\"0000:81:00.0\","
		     "\"wwpn\":\"0x2000001b32aa0003\",\"wwnn\":\"0x2000001b32aa0000\","
		     "\"target\":\"iqn.2026-11.org.t:a\"}]," TGT "}]}", "fc[1].pci");
	expect_error(PRE VPORT(",\"pci\":\"81:00.0\",\"wwpn\":\"0x0\"") TGT "}]}", "fc[0]");
}

/* "mode": "fabric" (an ENode behind an FCF) and its keys */
static void test_fabric(void **state)
{
	struct sup_config cfg;
	char err[512] = "";

	assert_int_equal(load(PRE PORT(",\"mode\":\"fabric\",\"fc_map\":\"0x0efc00\","
				       "\"addressing\":\"spma\",\"fip_vlan_discovery\":true")
			      TGT "}]}", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.fc[0].fabric);
	assert_true(cfg.fc[0].spma);
	assert_true(cfg.fc[0].vlan_discovery);
	assert_int_equal(cfg.fc[0].fc_map, 0x0efc00);
	sup_config_free(&cfg);
	assert_int_equal(load(PRE PORT(",\"mode\":\"fabric\"") TGT "}]}", &cfg, err, sizeof(err)),
			 0);
	assert_true(cfg.fc[0].fabric);
	assert_false(cfg.fc[0].spma);
	assert_int_equal(cfg.fc[0].fc_map, 0);
	sup_config_free(&cfg);
	expect_error(PRE PORT(",\"mode\":\"fabric\",\"fc_map\":\"0x0efc\"") TGT "}]}",
		     "fc[0].fc_map");
	expect_error(PRE PORT(",\"mode\":\"fabric\",\"fc_map\":\"0x0efcZZ\"") TGT "}]}",
		     "fc[0].fc_map");
	expect_error(PRE PORT(",\"mode\":\"fabric\",\"addressing\":\"mac\"") TGT "}]}",
		     "fc[0].addressing");
	expect_error(PRE PORT(",\"mode\":\"fabric\",\"fip_vlan_discovery\":1") TGT "}]}",
		     "fc[0].fip_vlan_discovery");
	expect_error(PRE PORT(",\"mode\":\"fabric\",\"port_id\":\"0x010a01\"") TGT "}]}",
		     "fc[0]: port_id");
	expect_error(PRE PORT(",\"fc_map\":\"0x0efc00\"") TGT "}]}", "mode");
	expect_error(PRE PORT(",\"mode\":7") TGT "}]}", "fc[0].mode");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_vfio),
		cmocka_unit_test(test_fabric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
