/* The "vfio" FC port driver against the fake VFIO layer: it opens the HBA,
 * maps its BARs, turns bus mastering on, wires MSI-X eventfds into a libev
 * loop through fd()/poll(), maps the pool for DMA, then refuses to start for
 * want of a firmware interface, naming the PCI vendor:device; every refusal
 * leaves the fake with nothing open or mapped. */
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/fc_port_vfio.h"
#include "tests/unit/vfio_fake.h"

#define ADDR  "0000:03:00.0"
#define GROUP 17

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

static int link_downs;

static void on_link(void *arg, bool up, uint32_t nport_id, uint32_t max_payload)
{
	(void)arg;
	(void)nport_id;
	(void)max_payload;
	if (!up)
		link_downs++;
}

static const struct fc_port_cb no_cb = { .link = on_link };

static int port_open(struct fc_port **p, const char *json, int fd)
{
	json_error_t e;
	json_t *d = json_loads(json, 0, &e);
	struct fc_port_conf conf = { .wwpn = 0x2100001b32000001ull, .wwnn = 0x2000001b32000001ull,
				     .name = "fc port 0 (vfio)", .driver_conf = d, .fd = fd };
	int rc;

	assert_non_null(d);
	rc = fc_vfio_ops.open(p, &conf, &no_cb, NULL);
	json_decref(d);
	return rc;
}

struct loop_state {
	struct fc_port *p;
	int wakeups;
};

static void on_irq(struct ev_loop *loop, ev_io *w, int revents)
{
	struct loop_state *s = w->data;

	(void)revents;
	s->wakeups++;
	while (fc_vfio_ops.poll(s->p) > 0)
		;
	ev_break(loop, EVBREAK_ALL);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* run the loop until the port's fd fires or 2 s pass */
static int run_until_irq(struct ev_loop *loop, struct loop_state *s)
{
	ev_io io;
	ev_timer tm;

	ev_io_init(&io, on_irq, fc_vfio_ops.fd(s->p), EV_READ);
	io.data = s;
	ev_io_start(loop, &io);
	ev_timer_init(&tm, on_timeout, 2.0, 0);
	ev_timer_start(loop, &tm);
	ev_run(loop, 0);
	ev_io_stop(loop, &io);
	ev_timer_stop(loop, &tm);
	return s->wakeups;
}

static void test_bring_up_then_refuse(void **st)
{
	struct vfio_fake f;
	struct fc_port *p = NULL;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct loop_state s = { 0 };
	char stats[512];
	void *pool = NULL;
	int before = count_fds();

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	fc_vfio_port_use(&f.ops, NULL);
	assert_int_equal(port_open(&p, "{\"pci\": \"03:00.0\", \"iommu_group\": 17}", -1), 0);
	assert_int_equal(f.mmaps, 3);            /* BAR0, BAR4's two areas; not BAR2 */
	assert_int_equal(f.cfg[4] & 6, 6);       /* memory decoding and bus mastering */
	assert_int_equal(f.msix_on, 4);

	/* MSI-X through the stack's libev loop: one vector fires, the loop wakes */
	s.p = p;
	assert_int_equal(vfio_fake_msix_trigger(&f, 3), 0);
	assert_int_equal(run_until_irq(loop, &s), 1);
	fc_vfio_ops.stats(p, stats, sizeof(stats));
	assert_non_null(strstr(stats, "irqs 1 "));
	/* consumed: nothing more fires */
	s.wakeups = 0;
	assert_int_equal(run_until_irq(loop, &s), 0);

	/* the pool: mapped through the IOMMU, then the refusal */
	assert_int_equal(posix_memalign(&pool, 4096, 1 << 20), 0);
	assert_int_equal(fc_vfio_ops.map(p, pool, 1 << 20), -ENOTSUP);
	assert_int_equal(f.maps_made, 1);
	assert_int_equal(f.nmaps, 0);            /* undone with the refusal */
	fc_vfio_ops.stats(p, stats, sizeof(stats));
	assert_non_null(strstr(stats, "no FC HBA firmware interface implemented for PCI "
				      "vendor:device 1077:2261"));
	assert_non_null(strstr(stats, "QLE27xx"));
	assert_non_null(strstr(stats, "ATIO/CTIO"));
	/* nothing can be sent on a port that never started */
	struct fc_xid x = { .peer = 0x010203, .ox_id = 1, .rx_id = 2 };
	assert_int_equal(fc_vfio_ops.send_seq(p, &x, 0x23, 0x01, true, (const uint8_t *)"x", 1),
			 -ENOTSUP);
	fc_vfio_ops.close(p);
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);

	/* an FC controller nobody listed: the ids alone */
	vfio_fake_init(&f, GROUP, ADDR);
	f.cfg[0] = 0x34; f.cfg[1] = 0x12; f.cfg[2] = 0x78; f.cfg[3] = 0x56;
	assert_int_equal(port_open(&p, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17, "
				   "\"msix\": 8}", -1), 0);
	assert_int_equal(f.msix_on, 8);
	assert_int_equal(fc_vfio_ops.map(p, (uint8_t *)pool + 1, 4096), -EINVAL); /* misaligned */
	assert_int_equal(f.maps_made, 0);
	assert_int_equal(fc_vfio_ops.map(p, pool, 1 << 20), -ENOTSUP);
	fc_vfio_ops.stats(p, stats, sizeof(stats));
	assert_non_null(strstr(stats, "vendor:device 1234:5678"));
	assert_null(strstr(stats, "QLogic"));
	fc_vfio_ops.close(p);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);

	/* vfio-pci asks for the device back: released at once, link down */
	vfio_fake_init(&f, GROUP, ADDR);
	assert_int_equal(port_open(&p, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", -1), 0);
	assert_true(f.req_fd >= 0);
	link_downs = 0;
	s.p = p;
	s.wakeups = 0;
	assert_int_equal(vfio_fake_request(&f), 0);
	assert_int_equal(run_until_irq(loop, &s), 1);
	assert_int_equal(link_downs, 1);
	assert_true(vfio_fake_clean(&f));        /* before the stack closes the port */
	assert_int_equal(fc_vfio_ops.map(p, pool, 1 << 20), -ENODEV);
	assert_int_equal(f.maps_made, 0);
	fc_vfio_ops.stats(p, stats, sizeof(stats));
	assert_non_null(strstr(stats, "given back to vfio-pci"));
	fc_vfio_ops.close(p);
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);

	fc_vfio_port_use(NULL, NULL);
	free(pool);
	ev_loop_destroy(loop);
}

static void refused(struct vfio_fake *f, const char *json, int fd, int rc)
{
	struct fc_port *p = NULL;

	assert_int_equal(port_open(&p, json, fd), rc);
	assert_null(p);
	assert_true(vfio_fake_clean(f));
}

static void test_refusals(void **st)
{
	struct vfio_fake f;
	int before = count_fds();

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	fc_vfio_port_use(&f.ops, NULL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", 5, -EINVAL);
	refused(&f, "{\"iommu_group\": 17}", -1, -EINVAL);
	refused(&f, "{\"pci\": 3, \"iommu_group\": 17}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": -1}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": \"17\"}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17, \"msix\": 0}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17, \"msix\": 65}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17, \"msix\": 9}", -1, -EINVAL);
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 18}", -1, -ENOENT);
	refused(&f, "{\"pci\": \"not-an-address\", \"iommu_group\": 17}", -1, -EINVAL);
	f.cfg[0x0b] = 0x02;   /* a network controller */
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", -1, -ENODEV);
	f.cfg[0x0b] = 0x0c;
	f.not_viable = true;
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", -1, -EBUSY);
	f.not_viable = false;
	f.msix_count = 0;
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", -1, -ENOTSUP);
	f.msix_count = 8;
	f.fail_req = VFIO_DEVICE_SET_IRQS;
	refused(&f, "{\"pci\": \"0000:03:00.0\", \"iommu_group\": 17}", -1, -EIO);
	f.fail_req = 0;
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);
	fc_vfio_port_use(NULL, NULL);
}

/* the IOMMU group from a sysfs tree when the config does not give it */
static void test_group_from_sysfs(void **st)
{
	char root[] = "/tmp/vfio-port-sysfs.XXXXXX", cmd[512];
	struct vfio_fake f;
	struct fc_port *p = NULL;

	(void)st;
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bus/pci/devices/0000:03:00.0 && "
		 "ln -s ../../../kernel/iommu_groups/17 %s/bus/pci/devices/0000:03:00.0/iommu_group",
		 root, root);
	assert_int_equal(system(cmd), 0);
	vfio_fake_init(&f, GROUP, ADDR);
	fc_vfio_port_use(&f.ops, root);
	assert_int_equal(port_open(&p, "{\"pci\": \"0000:03:00.0\"}", -1), 0);
	assert_int_equal(f.group_fd >= 0, 1);
	fc_vfio_ops.close(p);
	assert_true(vfio_fake_clean(&f));
	refused(&f, "{\"pci\": \"0000:04:00.0\"}", -1, -ENOENT);
	vfio_fake_fini(&f);
	fc_vfio_port_use(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up_then_refuse),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_group_from_sysfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
