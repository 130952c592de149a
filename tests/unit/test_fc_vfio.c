/* The VFIO library against the fake VFIO layer: opening container, group and
 * device; BARs by mmap and by pread/pwrite; config space; DMA mapping and
 * IOVA allocation; MSI-X eventfds; reset; and a failure at every single call
 * of a full bring-up, each of which must unwind to nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "procs/frontend-fc/vfio/vfio_dev.h"
#include "tests/unit/vfio_fake.h"

#define ADDR  "0000:03:00.0"
#define GROUP 17u

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

static void *page_buf(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 65536, len), 0);
	memset(p, 0, len);
	return p;
}

static void open_ok(struct vfio_fake *f, struct vfio_dev *d)
{
	vfio_dev_init(d, &f->ops);
	if (vfio_dev_open(d, ADDR, GROUP))
		fail_msg("open: %s", d->err);
}

static void test_pci_addr(void **st)
{
	char out[VFIO_PCI_ADDR_MAX];

	(void)st;
	assert_int_equal(vfio_pci_addr_parse("0000:03:00.0", out), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(vfio_pci_addr_parse("AB:1F.7", out), 0);
	assert_string_equal(out, "0000:ab:1f.7");
	assert_int_equal(vfio_pci_addr_parse("10000:03:00.0", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse("0000:03:20.0", out), -EINVAL); /* device 32 */
	assert_int_equal(vfio_pci_addr_parse("0000:03:00.8", out), -EINVAL); /* function 8 */
	assert_int_equal(vfio_pci_addr_parse("0000:03:00:0", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse("0000:g3:00.0", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse("0000:03:00.0 ", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse("../../x:00.0", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse("", out), -EINVAL);
	assert_int_equal(vfio_pci_addr_parse(NULL, out), -EINVAL);
}

static void test_iommu_group_sysfs(void **st)
{
	char root[] = "/tmp/vfio-sysfs.XXXXXX", p[256], q[300];
	uint32_t g = 0;

	(void)st;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/bus", root); assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/bus/pci", root); assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/bus/pci/devices", root); assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:03:00.0", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(q, sizeof(q), "%s/iommu_group", p);
	assert_int_equal(symlink("../../../kernel/iommu_groups/42", q), 0);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:04:00.0", root);
	assert_int_equal(mkdir(p, 0700), 0);   /* no IOMMU group */
	snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:05:00.0", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(q, sizeof(q), "%s/iommu_group", p);
	assert_int_equal(symlink("../../../kernel/iommu_groups/4x", q), 0);

	assert_int_equal(vfio_pci_iommu_group(root, "03:00.0", &g), 0);
	assert_int_equal(g, 42);
	assert_int_equal(vfio_pci_iommu_group(root, "0000:04:00.0", &g), -ENODEV);
	assert_int_equal(vfio_pci_iommu_group(root, "0000:05:00.0", &g), -ENODEV);
	assert_int_equal(vfio_pci_iommu_group(root, "0000:06:00.0", &g), -ENOENT);
	assert_int_equal(vfio_pci_iommu_group(root, "../03:00.0", &g), -EINVAL);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

static void test_open_close(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_int_equal(d.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(f.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_true(f.in_container);
	assert_int_equal(d.vendor, 0x1077);
	assert_int_equal(d.device, 0x2261);
	assert_int_equal(d.bars[0].size, FAKE_BAR0_SIZE);
	assert_true(d.bars[0].flags & VFIO_REGION_INFO_FLAG_MMAP);
	assert_int_equal(d.bars[1].size, 0);
	assert_int_equal(d.bars[2].size, FAKE_BAR2_SIZE);
	assert_int_equal(d.cfg_size, FAKE_CFG_SIZE);
	assert_int_equal(d.msix_max, 8);
	assert_int_equal(d.pgsize, 4096);
	assert_int_equal(d.niova, 1);             /* no capability: the default window */
	assert_int_equal(d.iova[0].start, 1ull << 32);
	/* a second open of the same struct is refused, nothing changes */
	assert_int_equal(vfio_dev_open(&d, ADDR, GROUP), -EALREADY);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_dev_close(&d);                       /* twice is harmless */
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
}

/* open must fail with rc and leave nothing behind */
static void open_fails(struct vfio_fake *f, const char *addr, uint32_t group, int rc,
		       const char *why)
{
	struct vfio_dev d;

	vfio_dev_init(&d, &f->ops);
	assert_int_equal(vfio_dev_open(&d, addr, group), rc);
	if (!strstr(d.err, why))
		fail_msg("error \"%s\" does not say \"%s\"", d.err, why);
	assert_true(vfio_fake_clean(f));
	assert_int_equal(d.container_fd, -1);
	assert_int_equal(d.group_fd, -1);
	assert_int_equal(d.device_fd, -1);
}

static void test_open_refusals(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	f.no_type1v2 = true;   /* plain type 1 still does */
	open_ok(&f, &d);
	assert_int_equal(d.iommu_type, VFIO_TYPE1_IOMMU);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	f.no_type1 = true;
	open_fails(&f, ADDR, GROUP, -ENODEV, "no type-1 IOMMU");
	vfio_fake_fini(&f);

	vfio_fake_init(&f, GROUP, ADDR);
	f.api_version = 1;
	open_fails(&f, ADDR, GROUP, -EPROTO, "API version 1");
	vfio_fake_fini(&f);

	vfio_fake_init(&f, GROUP, ADDR);
	f.not_viable = true;
	open_fails(&f, ADDR, GROUP, -EBUSY, "not viable");
	vfio_fake_fini(&f);

	vfio_fake_init(&f, GROUP, ADDR);
	open_fails(&f, ADDR, GROUP + 1, -ENOENT, "vfio-pci");         /* no such group */
	open_fails(&f, "0000:03:00.1", GROUP, -ENODEV, "GET_DEVICE_FD"); /* not in the group */
	f.calls = 0;
	open_fails(&f, "03:00", GROUP, -EINVAL, "bad PCI address");
	assert_int_equal(f.calls, 0);                                  /* refused before any call */
	vfio_fake_fini(&f);
}

static void test_bars(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	uint32_t v = 0;

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_int_equal(vfio_bar_map(&d, 0), 0);
	assert_ptr_equal(d.bars[0].map, f.bar0);
	assert_int_equal(f.mmaps, 1);
	assert_int_equal(vfio_bar_map(&d, 0), 0);     /* already: no second mapping */
	assert_int_equal(f.mmaps, 1);
	assert_int_equal(vfio_bar_write32(&d, 0, 0x100, 0xdeadbeef), 0);
	assert_memory_equal(f.bar0 + 0x100, &(uint32_t){ 0xdeadbeef }, 4);
	f.bar0[0x200] = 0x5a;
	assert_int_equal(vfio_bar_read32(&d, 0, 0x200, &v), 0);
	assert_int_equal(v & 0xff, 0x5a);
	assert_int_equal(vfio_bar_read32(&d, 0, FAKE_BAR0_SIZE - 4, &v), 0);
	assert_int_equal(vfio_bar_read32(&d, 0, FAKE_BAR0_SIZE, &v), -EINVAL);
	assert_int_equal(vfio_bar_read32(&d, 0, 0x102, &v), -EINVAL);
	assert_int_equal(vfio_bar_read32(&d, 0, UINT64_MAX - 1, &v), -EINVAL);
	assert_int_equal(vfio_bar_map(&d, 1), -ENOENT);
	assert_int_equal(vfio_bar_map(&d, 6), -ENOENT);
	/* BAR2 has no mmap flag: mapping it is a no-op, access is pread/pwrite */
	assert_int_equal(vfio_bar_map(&d, 2), 0);
	assert_null(d.bars[2].map);
	assert_int_equal(f.mmaps, 1);
	assert_int_equal(vfio_bar_write32(&d, 2, 8, 0x01020304), 0);
	assert_memory_equal(f.bar2 + 8, &(uint32_t){ 0x01020304 }, 4);
	assert_int_equal(vfio_bar_read32(&d, 2, 8, &v), 0);
	assert_int_equal(v, 0x01020304);
	assert_int_equal(vfio_bar_write32(&d, 2, FAKE_BAR2_SIZE - 2, 1), -EINVAL);
	f.fail_call = f.calls + 1;
	assert_int_equal(vfio_bar_read32(&d, 2, 8, &v), -EIO);
	assert_non_null(strstr(d.err, "read BAR2"));
	/* BAR4: sparse mmap, the MSI-X table page not mappable */
	assert_true(d.bars[4].sparse);
	assert_int_equal(d.bars[4].nareas, 2);
	assert_int_equal(vfio_bar_map(&d, 4), 0);
	assert_null(d.bars[4].map);
	assert_ptr_equal(d.bars[4].areas[0].map, f.bar4);
	assert_ptr_equal(d.bars[4].areas[1].map, f.bar4 + 8192);
	assert_int_equal(f.mmaps, 3);
	assert_int_equal(vfio_bar_map(&d, 4), 0);    /* already: nothing more */
	assert_int_equal(f.mmaps, 3);
	int rw = f.bar_rw;
	assert_int_equal(vfio_bar_write32(&d, 4, 0xffc, 0x11111111), 0);   /* area 0 */
	assert_int_equal(vfio_bar_write32(&d, 4, 0x1000, 0x22222222), 0);  /* the hole */
	assert_int_equal(vfio_bar_write32(&d, 4, 0x3ffc, 0x33333333), 0);  /* area 1 */
	assert_int_equal(f.bar_rw, rw + 1);           /* only the hole by pwrite */
	assert_memory_equal(f.bar4 + 0xffc, &(uint32_t){ 0x11111111 }, 4);
	assert_memory_equal(f.bar4 + 0x1000, &(uint32_t){ 0x22222222 }, 4);
	assert_memory_equal(f.bar4 + 0x3ffc, &(uint32_t){ 0x33333333 }, 4);
	assert_int_equal(vfio_bar_read32(&d, 4, 0x1000, &v), 0);
	assert_int_equal(v, 0x22222222);
	assert_int_equal(f.bar_rw, rw + 2);
	vfio_bar_unmap(&d, 4);
	assert_int_equal(f.mmaps, 1);
	/* the second area's mmap failing undoes the first */
	f.fail_call = f.calls + 2;
	assert_int_equal(vfio_bar_map(&d, 4), -EIO);
	assert_non_null(strstr(d.err, "mmap BAR4+0x2000"));
	assert_int_equal(f.mmaps, 1);
	assert_null(d.bars[4].areas[0].map);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(vfio_bar_read32(&d, 0, 0, &v), -EBADF);
	vfio_fake_fini(&f);

	/* BAR0 without the mmap flag: the same registers through pwrite */
	vfio_fake_init(&f, GROUP, ADDR);
	f.bar0_no_mmap = true;
	open_ok(&f, &d);
	assert_int_equal(vfio_bar_map(&d, 0), 0);
	assert_null(d.bars[0].map);
	assert_int_equal(f.mmaps, 0);
	assert_int_equal(vfio_bar_write32(&d, 0, 0x40, 0xa5a5a5a5), 0);
	assert_memory_equal(f.bar0 + 0x40, &(uint32_t){ 0xa5a5a5a5 }, 4);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);

	/* a failing mmap is reported and nothing is recorded */
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	f.fail_call = f.calls + 1;
	f.fail_errno = ENOMEM;
	assert_int_equal(vfio_bar_map(&d, 0), -ENOMEM);
	assert_null(d.bars[0].map);
	assert_non_null(strstr(d.err, "mmap BAR0"));
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
}

static void test_config_space(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	uint8_t cls[2];

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_int_equal(vfio_cfg_read(&d, 0x0a, cls, 2), 0);
	assert_int_equal(cls[0], 0x04);   /* Fibre Channel */
	assert_int_equal(cls[1], 0x0c);
	assert_int_equal(f.cfg[4] & 6, 0);
	assert_int_equal(vfio_cfg_enable_master(&d), 0);
	assert_int_equal(f.cfg[4] & 6, 6);
	assert_int_equal(vfio_cfg_read(&d, FAKE_CFG_SIZE - 1, cls, 2), -EINVAL);
	assert_int_equal(vfio_cfg_read(&d, 0, cls, 0), -EINVAL);
	assert_int_equal(vfio_cfg_write(&d, UINT32_MAX, cls, 1), -EINVAL);
	assert_int_equal(vfio_dev_reset(&d), 0);
	assert_int_equal(f.resets, 1);
	assert_int_equal(f.cfg[4] & 6, 0);   /* reset: the command register is cleared */
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(vfio_dev_reset(&d), -EBADF);
	vfio_fake_fini(&f);

	vfio_fake_init(&f, GROUP, ADDR);
	f.no_reset = true;
	open_ok(&f, &d);
	assert_int_equal(vfio_dev_reset(&d), -ENOTSUP);
	assert_int_equal(f.resets, 0);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);

	/* a device answering all ones (surprise removal) is refused at open */
	vfio_fake_init(&f, GROUP, ADDR);
	f.cfg[0] = f.cfg[1] = 0xff;
	open_fails(&f, ADDR, GROUP, -ENODEV, "all ones");
	vfio_fake_fini(&f);
}

static void test_dma(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	uint8_t *a = page_buf(1 << 20), *b = page_buf(1 << 16);
	uint64_t ia, ib, ix;

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_int_equal(vfio_dma_map(&d, a, 1 << 20, &ia), 0);
	assert_int_equal(vfio_dma_map(&d, b, 1 << 16, &ib), 0);
	assert_int_equal(f.nmaps, 2);
	assert_true(ia >= 1ull << 32);
	assert_true(ib >= ia + (1 << 20) || ib + (1 << 16) <= ia);
	assert_int_equal(f.maps[0].vaddr, (uintptr_t)a);
	assert_int_equal(f.maps[0].iova, ia);
	/* refused before reaching the kernel: misaligned, empty, overlapping */
	assert_int_equal(vfio_dma_map(&d, a + 1, 4096, &ix), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, a, 4095, &ix), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, a, 0, &ix), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, a + 4096, 4096, &ix), -EEXIST);
	assert_int_equal(f.nmaps, 2);
	/* pointers translate; the last byte does, one past does not */
	assert_int_equal(vfio_dma_iova(&d, a + 12345, 100, &ix), 0);
	assert_int_equal(ix, ia + 12345);
	assert_int_equal(vfio_dma_iova(&d, a + (1 << 20) - 1, 1, &ix), 0);
	assert_int_equal(vfio_dma_iova(&d, a + (1 << 20) - 1, 2, &ix), -EFAULT);
	assert_int_equal(vfio_dma_iova(&d, &ix, 8, &ix), -EFAULT);
	/* the kernel refusing a map leaves no trace */
	f.fail_req = VFIO_IOMMU_MAP_DMA;
	uint8_t *c = page_buf(1 << 16);
	assert_int_equal(vfio_dma_map(&d, c, 1 << 16, &ix), -EIO);
	assert_int_equal(d.ndma, 2);
	f.fail_req = 0;
	/* unmap one; the freed IOVA is reused first fit */
	assert_int_equal(vfio_dma_unmap(&d, ia), 0);
	assert_int_equal(f.nmaps, 1);
	assert_int_equal(vfio_dma_unmap(&d, ia), -ENOENT);
	assert_int_equal(vfio_dma_map(&d, c, 1 << 16, &ix), 0);
	assert_int_equal(ix, ia);
	vfio_dev_close(&d);   /* unmaps the rest while the IOMMU is still set */
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(d.ndma, 0);
	vfio_fake_fini(&f);
	free(a);
	free(b);
	free(c);
}

static void test_dma_iova_ranges(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	uint8_t *a = page_buf(2 << 20);
	uint64_t i1, i2, i3, ix;

	(void)st;
	/* as the kernel reports them: a hole between the two ranges */
	vfio_fake_init(&f, GROUP, ADDR);
	f.iova_cap = true;
	f.niova = 2;
	f.iova_lo[0] = 0;        f.iova_hi[0] = 0xffff;
	f.iova_lo[1] = 0x100000; f.iova_hi[1] = 0x1fffff;
	open_ok(&f, &d);
	assert_int_equal(d.niova, 2);
	assert_int_equal(d.iova[0].start, 0x1000);   /* never IOVA 0 */
	assert_int_equal(vfio_dma_map(&d, a, 0x8000, &i1), 0);
	assert_int_equal(vfio_dma_map(&d, a + 0x8000, 0x8000, &i2), 0);
	assert_int_equal(vfio_dma_map(&d, a + 0x10000, 0x8000, &i3), 0);
	assert_int_equal(i1, 0x1000);
	assert_int_equal(i2, 0x100000);    /* 0x9000+0x8000 would cross 0xffff */
	assert_int_equal(i3, 0x108000);
	/* what is left of the second range is smaller than this */
	assert_int_equal(vfio_dma_map(&d, a + 0x20000, 0xf1000, &ix), -ENOSPC);
	assert_int_equal(vfio_dma_map(&d, a + 0x20000, 0xf0000, &ix), 0);
	assert_int_equal(ix, 0x110000);
	assert_int_equal(f.nmaps, 4);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);

	/* a 64 KiB smallest IOMMU page: 4 KiB alignment is not enough */
	vfio_fake_init(&f, GROUP, ADDR);
	f.pgsizes = 0x10000 | 0x200000;
	open_ok(&f, &d);
	assert_int_equal(d.pgsize, 0x10000);
	assert_int_equal(vfio_dma_map(&d, a + 0x1000, 0x10000, &ix), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, a, 0x1000, &ix), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, a, 0x10000, &ix), 0);
	assert_int_equal(ix % 0x10000, 0);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
	free(a);
}

/* Capability chains are read with bounds: a count larger than the buffer,
 * a chain pointing back at itself, areas unaligned or past the BAR are all
 * ignored, leaving safe defaults (the default IOVA window, pread/pwrite). */
static void test_hostile_caps(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	uint32_t v;

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	f.iova_cap = true;
	f.niova = 1;
	f.iova_lo[0] = 0x1000;
	f.iova_hi[0] = 0xffffffffffull;
	f.hostile_caps = true;
	open_ok(&f, &d);
	assert_int_equal(d.niova, 1);
	assert_int_equal(d.iova[0].start, 1ull << 32);   /* the default, not the lie */
	assert_true(d.bars[4].sparse);
	assert_int_equal(d.bars[4].nareas, 0);
	assert_int_equal(vfio_bar_map(&d, 4), 0);
	assert_int_equal(f.mmaps, 0);                    /* nothing mappable */
	assert_int_equal(vfio_bar_write32(&d, 4, 0x10, 0x12345678), 0);
	assert_int_equal(vfio_bar_read32(&d, 4, 0x10, &v), 0);
	assert_int_equal(v, 0x12345678);
	assert_int_equal(f.bar_rw, 2);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
}

/* The fake itself refuses what the kernel refuses, so the library's own
 * checks are not the only thing the tests rely on. */
static void test_fake_iommu_rules(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	m.vaddr = 0x7f0000000000; m.iova = 0x100000000; m.size = 0x10000;
	assert_int_equal(f.ops.ioctl(&f, d.container_fd, VFIO_IOMMU_MAP_DMA, &m), 0);
	m.vaddr = 0x7f0000100000; m.iova = 0x100008000;
	assert_int_equal(f.ops.ioctl(&f, d.container_fd, VFIO_IOMMU_MAP_DMA, &m), -EEXIST);
	m.iova = 0x100010800;
	assert_int_equal(f.ops.ioctl(&f, d.container_fd, VFIO_IOMMU_MAP_DMA, &m), -EINVAL);
	u.iova = 0x100000000; u.size = 0x8000;   /* half of a mapping: v2 says no */
	assert_int_equal(f.ops.ioctl(&f, d.container_fd, VFIO_IOMMU_UNMAP_DMA, &u), -EINVAL);
	u.size = 0x10000;
	assert_int_equal(f.ops.ioctl(&f, d.container_fd, VFIO_IOMMU_UNMAP_DMA, &u), 0);
	assert_int_equal(f.nmaps, 0);
	/* order: UNSET_CONTAINER with the device fd open is refused */
	assert_int_equal(f.ops.ioctl(&f, d.group_fd, VFIO_GROUP_UNSET_CONTAINER, NULL), -EBUSY);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
}

static void test_msix(void **st)
{
	struct vfio_fake f;
	struct vfio_dev d;
	struct pollfd pfd[4];
	uint64_t cnt = 0;
	int before = count_fds();

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_int_equal(vfio_msix_enable(&d, 9), -EINVAL);   /* the device has 8 */
	assert_int_equal(vfio_msix_enable(&d, 0), -EINVAL);
	assert_int_equal(vfio_msix_enable(&d, 4), 0);
	assert_int_equal(f.msix_on, 4);
	assert_int_equal(vfio_msix_enable(&d, 4), -EALREADY);
	assert_int_equal(count_fds(), before + 4);
	for (int i = 0; i < 4; i++) {
		pfd[i].fd = vfio_msix_fd(&d, (uint32_t)i);
		pfd[i].events = POLLIN;
		assert_int_equal(pfd[i].fd, f.msix_fd[i]);
	}
	assert_int_equal(vfio_msix_fd(&d, 4), -EINVAL);
	assert_int_equal(poll(pfd, 4, 0), 0);
	assert_int_equal(vfio_fake_msix_trigger(&f, 2), 0);
	assert_int_equal(vfio_fake_msix_trigger(&f, 2), 0);
	assert_int_equal(poll(pfd, 4, 0), 1);
	assert_true(pfd[2].revents & POLLIN);
	assert_int_equal(read(pfd[2].fd, &cnt, sizeof(cnt)), sizeof(cnt));
	assert_int_equal(cnt, 2);                 /* two interrupts, one wakeup */
	assert_int_equal(vfio_fake_msix_trigger(&f, 5), -ENOENT);
	vfio_msix_disable(&d);
	assert_int_equal(f.msix_on, 0);
	assert_int_equal(count_fds(), before);
	/* enabled again after a disable, then left for close to take down */
	assert_int_equal(vfio_msix_enable(&d, 8), 0);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));          /* irqs_dropped stays 0: disabled first */
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);

	/* the device request: one eventfd, signalled when vfio-pci wants the
	 * device back; off again on disable and on close */
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	assert_true(d.has_req);
	assert_int_equal(vfio_fake_request(&f), -ENOENT);
	assert_int_equal(vfio_req_enable(&d), 0);
	assert_int_equal(f.req_fd, d.req_fd);
	assert_int_equal(vfio_req_enable(&d), 0);    /* already */
	pfd[0].fd = d.req_fd;
	pfd[0].events = POLLIN;
	assert_int_equal(poll(pfd, 1, 0), 0);
	assert_int_equal(vfio_fake_request(&f), 0);
	assert_int_equal(poll(pfd, 1, 0), 1);
	vfio_req_disable(&d);
	assert_int_equal(f.req_fd, -1);
	assert_int_equal(d.req_fd, -1);
	assert_int_equal(vfio_req_enable(&d), 0);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);
	vfio_fake_init(&f, GROUP, ADDR);
	f.no_req = true;
	open_ok(&f, &d);
	assert_false(d.has_req);
	assert_int_equal(vfio_req_enable(&d), -ENOTSUP);
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);

	/* the kernel refusing SET_IRQS: no eventfd survives */
	vfio_fake_init(&f, GROUP, ADDR);
	open_ok(&f, &d);
	f.fail_req = VFIO_DEVICE_SET_IRQS;
	assert_int_equal(vfio_msix_enable(&d, 3), -EIO);
	assert_int_equal(count_fds(), before);
	assert_int_equal(d.nmsix, 0);
	f.fail_req = 0;
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
}

/* Everything a port driver does to bring a device up. */
static int bring_up(struct vfio_dev *d, struct vfio_fake *f, uint8_t *mem)
{
	uint64_t iova;
	int rc;

	vfio_dev_init(d, &f->ops);
	if ((rc = vfio_dev_open(d, ADDR, GROUP)) ||
	    (rc = vfio_bar_map(d, 0)) ||
	    (rc = vfio_bar_map(d, 2)) ||
	    (rc = vfio_bar_map(d, 4)) ||
	    (rc = vfio_cfg_enable_master(d)) ||
	    (rc = vfio_dma_map(d, mem, 1 << 16, &iova)) ||
	    (rc = vfio_dma_map(d, mem + (1 << 16), 1 << 16, &iova)) ||
	    (rc = vfio_msix_enable(d, 4)) ||
	    (rc = vfio_req_enable(d)) ||
	    (rc = vfio_dev_reset(d)))
		return rc;
	return 0;
}

static void test_fail_every_step(void **st)
{
	uint8_t *mem = page_buf(1 << 17);
	struct vfio_fake f;
	struct vfio_dev d;
	long total, failed = 0;
	int before = count_fds();

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	assert_int_equal(bring_up(&d, &f, mem), 0);
	total = f.calls;
	vfio_dev_close(&d);
	assert_true(vfio_fake_clean(&f));
	vfio_fake_fini(&f);
	assert_true(total >= 20);

	for (long n = 1; n <= total; n++) {
		int rc;

		vfio_fake_init(&f, GROUP, ADDR);
		f.fail_call = n;
		rc = bring_up(&d, &f, mem);
		if (rc) {
			failed++;
			assert_true(rc < 0);
			if (!d.err[0])
				fail_msg("call %ld failed without a reason", n);
		}
		vfio_dev_close(&d);
		if (!vfio_fake_clean(&f))
			fail_msg("failure at call %ld (%s) left state behind: container %d group %d "
				 "device %d maps %u mmaps %d msix %u dropped %d implicit %d bad %d",
				 n, d.err, f.container_fd, f.group_fd, f.device_fd, f.nmaps, f.mmaps,
				 f.msix_on, f.dropped_maps, f.implicit_unset, f.bad_calls);
		assert_int_equal(count_fds(), before);
		vfio_fake_fini(&f);
	}
	/* only the TYPE1v2 probe may fail harmlessly (type 1 is then used) */
	assert_int_equal(failed, total - 1);
	free(mem);
}

/* Teardown failures: an UNMAP the kernel refuses, a disable of MSI-X that
 * fails. Close still takes everything down; the kernel drops what is left
 * when the group leaves the container. */
static void test_teardown_failures(void **st)
{
	uint8_t *mem = page_buf(1 << 17);
	struct vfio_fake f;
	struct vfio_dev d;
	int before = count_fds();

	(void)st;
	vfio_fake_init(&f, GROUP, ADDR);
	assert_int_equal(bring_up(&d, &f, mem), 0);
	f.fail_req = VFIO_IOMMU_UNMAP_DMA;
	assert_int_equal(vfio_dma_unmap(&d, d.dma[0].iova), -EIO);
	assert_int_equal(d.ndma, 1);
	vfio_dev_close(&d);
	assert_int_equal(f.dropped_maps, 2);
	assert_int_equal(f.implicit_unset, 0);
	assert_int_equal(f.container_fd, -1);
	assert_int_equal(f.group_fd, -1);
	assert_int_equal(f.device_fd, -1);
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);

	vfio_fake_init(&f, GROUP, ADDR);
	assert_int_equal(bring_up(&d, &f, mem), 0);
	f.fail_req = VFIO_DEVICE_SET_IRQS;
	vfio_dev_close(&d);
	assert_int_equal(f.irqs_dropped, 1);   /* closing the device fd ends them */
	assert_int_equal(f.device_fd, -1);
	assert_int_equal(f.nmaps, 0);
	assert_int_equal(count_fds(), before);
	vfio_fake_fini(&f);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_addr),
		cmocka_unit_test(test_iommu_group_sysfs),
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_bars),
		cmocka_unit_test(test_config_space),
		cmocka_unit_test(test_dma),
		cmocka_unit_test(test_dma_iova_ranges),
		cmocka_unit_test(test_hostile_caps),
		cmocka_unit_test(test_fake_iommu_rules),
		cmocka_unit_test(test_msix),
		cmocka_unit_test(test_fail_every_step),
		cmocka_unit_test(test_teardown_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
