/* PCI addresses as VFIO and sysfs spell them, and the IOMMU group of a device
 * as sysfs tells it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procs/frontend-fc/vfio/vfio_dev.h"

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

/* n hex digits at s; -1 if any is not one */
static long hexn(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

int vfio_pci_addr_parse(const char *in, char out[VFIO_PCI_ADDR_MAX])
{
	long dom = 0, bus, dev, fn;
	size_t n;

	if (!in)
		return -EINVAL;
	n = strlen(in);
	if (n == 12) {
		if (in[4] != ':')
			return -EINVAL;
		dom = hexn(in, 4);
		in += 5;
		n -= 5;
	}
	if (n != 7 || in[2] != ':' || in[5] != '.')
		return -EINVAL;
	bus = hexn(in, 2);
	dev = hexn(in + 3, 2);
	fn = hexval(in[6]);
	/* 32 devices per bus, 8 functions per device */
	if (dom < 0 || bus < 0 || dev < 0 || dev > 0x1f || fn < 0 || fn > 7)
		return -EINVAL;
	snprintf(out, VFIO_PCI_ADDR_MAX, "%04lx:%02lx:%02lx.%ld", dom, bus, dev, fn);
	return 0;
}

int vfio_pci_iommu_group(const char *sysfs_root, const char *addr, uint32_t *group)
{
	char canon[VFIO_PCI_ADDR_MAX], path[PATH_MAX], gpath[PATH_MAX], link[PATH_MAX];
	char *base, *end;
	ssize_t n;
	unsigned long g;
	int rc;

	rc = vfio_pci_addr_parse(addr, canon);
	if (rc)
		return rc;
	if (!sysfs_root || !*sysfs_root)
		sysfs_root = "/sys";
	if (snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root, canon) >= (int)sizeof(path) ||
	    snprintf(gpath, sizeof(gpath), "%s/iommu_group", path) >= (int)sizeof(gpath))
		return -ENAMETOOLONG;
	if (access(path, F_OK) != 0)
		return -ENOENT;
	n = readlink(gpath, link, sizeof(link) - 1);
	if (n < 0)
		return -ENODEV;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (*base < '0' || *base > '9')
		return -ENODEV;
	errno = 0;
	g = strtoul(base, &end, 10);
	if (errno || *end || g > INT_MAX)
		return -ENODEV;
	*group = (uint32_t)g;
	return 0;
}
