/* The "vfio" port driver (fc_port_vfio.h). open() takes the HBA named by the
 * port's "pci" key through the VFIO library: container, group, device, BARs
 * mapped, bus mastering on, MSI-X vectors as eventfds gathered in one epoll
 * fd (the fd the stack watches in its libev loop). map() maps the pool arena
 * for DMA through the IOMMU, which is where an HBA's firmware would be
 * started with its queues; no firmware interface is implemented, so map()
 * undoes its mapping and refuses with -ENOTSUP, naming the vendor:device.
 * The device-request eventfd sits in the same epoll set: when vfio-pci asks
 * for the device back (someone unbinds it), the port releases it at once and
 * reports the link down, so the unbind does not hang on us.
 *
 * Port config keys (besides the stack's): "pci" ("dddd:bb:dd.f"; required),
 * "iommu_group" (integer; default: read from sysfs), "msix" (vectors to
 * enable, 1..64; default min(4, what the device has)). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_port_vfio.h"
#include "procs/frontend-fc/vfio/vfio_dev.h"

#define PCI_CLASS_SERIAL  0x0c
#define PCI_SUBCLASS_FC   0x04
#define MSIX_DEFAULT      4
#define EV_REQ            UINT32_MAX   /* epoll tag of the device request */

static const struct vfio_ops *use_ops;
static const char *use_sysfs;

void fc_vfio_port_use(const struct vfio_ops *ops, const char *sysfs_root)
{
	use_ops = ops;
	use_sysfs = sysfs_root;
}

struct fc_port {
	struct vfio_dev dev;
	const struct fc_port_cb *cb;
	void    *arg;
	char     name[96];
	int      epfd;
	uint64_t irqs;                 /* interrupts seen (eventfd counts) */
	bool     released;             /* given back to vfio-pci on its request */
	uint64_t dma_iova, dma_len;    /* the pool while mapped */
	char     why[320];             /* why the port is not running */
};

static void port_free(struct fc_port *p)
{
	if (p->epfd >= 0)
		close(p->epfd);
	vfio_dev_close(&p->dev);
	free(p);
}

/* "pci", "iommu_group" and "msix" from the port's config object */
static int parse_conf(const struct fc_port_conf *conf, const char **pci, long long *group,
		      long long *msix)
{
	json_t *d = conf->driver_conf, *v;

	*pci = NULL;
	*group = -1;
	*msix = 0;
	if (!json_is_object(d))
		return -EINVAL;
	*pci = json_string_value(json_object_get(d, "pci"));
	if (!*pci) {
		log_err("%s: the vfio driver needs \"pci\": the HBA's PCI address", conf->name);
		return -EINVAL;
	}
	v = json_object_get(d, "iommu_group");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > INT32_MAX) {
			log_err("%s: \"iommu_group\" must be a group number", conf->name);
			return -EINVAL;
		}
		*group = json_integer_value(v);
	}
	v = json_object_get(d, "msix");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > VFIO_MSIX_MAX) {
			log_err("%s: \"msix\" must be 1..%d", conf->name, VFIO_MSIX_MAX);
			return -EINVAL;
		}
		*msix = json_integer_value(v);
	}
	return 0;
}

static int bring_up(struct fc_port *p, const char *pci, uint32_t group, uint32_t nvec)
{
	uint8_t cls[2];
	int rc;

	rc = vfio_dev_open(&p->dev, pci, group);
	if (rc)
		return rc;
	rc = vfio_cfg_read(&p->dev, 0x0a, cls, sizeof(cls));
	if (rc)
		return rc;
	if (cls[1] != PCI_CLASS_SERIAL || cls[0] != PCI_SUBCLASS_FC)
		return vfio_fail(&p->dev, -ENODEV, "%s (%04x:%04x) has PCI class %02x%02x, not a "
				 "Fibre Channel controller (0c04)", p->dev.addr, p->dev.vendor,
				 p->dev.device, cls[1], cls[0]);
	for (unsigned b = 0; b < VFIO_NBARS; b++)
		if (p->dev.bars[b].size && (rc = vfio_bar_map(&p->dev, b)))
			return rc;
	rc = vfio_cfg_enable_master(&p->dev);
	if (rc)
		return rc;
	if (!p->dev.msix_max)
		return vfio_fail(&p->dev, -ENOTSUP, "%s offers no MSI-X vectors", p->dev.addr);
	if (!nvec)
		nvec = p->dev.msix_max < MSIX_DEFAULT ? p->dev.msix_max : MSIX_DEFAULT;
	rc = vfio_msix_enable(&p->dev, nvec);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < nvec; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, vfio_msix_fd(&p->dev, i), &ev) < 0)
			return vfio_fail(&p->dev, -errno, "epoll_ctl MSI-X vector %u", i);
	}
	/* older kernels have no request interrupt: then an unbind waits for
	 * mtgt-fc to stop */
	if (p->dev.has_req) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_REQ };

		rc = vfio_req_enable(&p->dev);
		if (rc)
			return rc;
		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->dev.req_fd, &ev) < 0)
			return vfio_fail(&p->dev, -errno, "epoll_ctl device request");
	}
	return 0;
}

static int vf_open(struct fc_port **out, const struct fc_port_conf *conf,
		   const struct fc_port_cb *cb, void *arg)
{
	const char *pci;
	long long group, msix;
	uint32_t g;
	struct fc_port *p;
	int rc;

	if (conf->fd >= 0) {
		/* a device fd alone cannot map DMA: that needs the container */
		log_err("%s: the vfio driver opens the HBA itself from \"pci\"; an inherited fd "
			"(%d) cannot carry the VFIO container and group", conf->name, conf->fd);
		return -EINVAL;
	}
	rc = parse_conf(conf, &pci, &group, &msix);
	if (rc)
		return rc;
	if (group < 0) {
		rc = vfio_pci_iommu_group(use_sysfs, pci, &g);
		if (rc) {
			log_err("%s: no IOMMU group for PCI device \"%.32s\": %s", conf->name, pci,
				rc == -EINVAL ? "bad PCI address" : rc == -ENOENT ? "no such device" :
				"the IOMMU is off or the device has no group");
			return rc;
		}
	} else {
		g = (uint32_t)group;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	vfio_dev_init(&p->dev, use_ops);
	p->cb = cb;
	p->arg = arg;
	snprintf(p->name, sizeof(p->name), "%s", conf->name ? conf->name : "vfio port");
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		rc = -errno;
		free(p);
		return rc;
	}
	rc = bring_up(p, pci, g, (uint32_t)msix);
	if (rc) {
		log_err("%s: %s", p->name, p->dev.err);
		port_free(p);
		return rc;
	}
	log_info("%s: %s (%04x:%04x) open: IOMMU group %u, %u MSI-X vectors", p->name,
		 p->dev.addr, p->dev.vendor, p->dev.device, g, p->dev.nmsix);
	*out = p;
	return 0;
}

static int vf_map(struct fc_port *p, void *base, uint64_t len)
{
	const struct fc_vfio_hba *h;
	int rc;

	if (p->released)
		return -ENODEV;
	rc = vfio_dma_map(&p->dev, base, len, &p->dma_iova);
	if (rc) {
		log_err("%s: DMA map of the pool: %s", p->name, p->dev.err);
		return rc;
	}
	p->dma_len = len;
	/* Here a driver would load or start the firmware and post its queues. */
	h = fc_vfio_hba_find(p->dev.vendor, p->dev.device);
	snprintf(p->why, sizeof(p->why),
		 "no FC HBA firmware interface implemented for PCI vendor:device %04x:%04x%s%s%s%s",
		 p->dev.vendor, p->dev.device, h ? " (" : "", h ? h->family : "",
		 h ? "; it needs the " : "", h ? h->interface : "");
	if (h)
		strncat(p->why, ")", sizeof(p->why) - strlen(p->why) - 1);
	log_err("%s: %s", p->name, p->why);
	vfio_dma_unmap(&p->dev, p->dma_iova);
	p->dma_len = 0;
	return -ENOTSUP;
}

/* vfio-pci wants the device back: let go of everything (the eventfds leave
 * the epoll set as they close), keep the empty epoll fd for the stack. */
static void release(struct fc_port *p)
{
	log_warn("%s: vfio-pci asks for %s back (unbind?): releasing it, link down", p->name,
		 p->dev.addr);
	vfio_dev_close(&p->dev);
	p->dma_len = 0;
	p->released = true;
	snprintf(p->why, sizeof(p->why), "device given back to vfio-pci on its request");
	if (p->cb && p->cb->link)
		p->cb->link(p->arg, false, 0, 0);
}

static int vf_fd(struct fc_port *p)
{
	return p->epfd;
}

static int vf_poll(struct fc_port *p)
{
	struct epoll_event ev[16];
	int n = epoll_wait(p->epfd, ev, 16, 0);

	/* With no firmware interface an interrupt has nothing to service:
	 * consume and count it so the loop does not spin. */
	for (int i = 0; i < n && !p->released; i++) {
		uint64_t cnt;
		int fd;

		if (ev[i].data.u32 == EV_REQ) {
			release(p);
			break;
		}
		fd = vfio_msix_fd(&p->dev, ev[i].data.u32);
		if (fd >= 0 && read(fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			p->irqs += cnt;
	}
	return n == 16 && !p->released ? 1 : 0;
}

static int vf_send_data(struct fc_port *p, struct fc_xfer *t)
{
	return -ENOTSUP;   /* the link never comes up: no exchange reaches here */
}

static int vf_recv_data(struct fc_port *p, struct fc_xfer *t, bool send_xfer_rdy)
{
	return -ENOTSUP;
}

static int vf_send_seq(struct fc_port *p, const struct fc_xid *x, uint8_t r_ctl, uint8_t type,
		       bool last, const uint8_t *payload, uint32_t len)
{
	return -ENOTSUP;
}

static void vf_abort(struct fc_port *p, const struct fc_xid *x)
{
}

static void vf_stats(struct fc_port *p, char *buf, uint32_t cap)
{
	snprintf(buf, cap, "vfio %s %04x:%04x msix %u irqs %" PRIu64 " dma %" PRIu64 "%s%s",
		 p->dev.addr, p->dev.vendor, p->dev.device, p->dev.nmsix, p->irqs, p->dma_len,
		 p->why[0] ? ": " : "", p->why);
}

static void vf_close(struct fc_port *p)
{
	if (p)
		port_free(p);
}

const struct fc_port_ops fc_vfio_ops = {
	.name = "vfio",
	.open = vf_open,
	.map = vf_map,
	.fd = vf_fd,
	.poll = vf_poll,
	.send_data = vf_send_data,
	.recv_data = vf_recv_data,
	.send_seq = vf_send_seq,
	.abort = vf_abort,
	.stats = vf_stats,
	.close = vf_close,
};
