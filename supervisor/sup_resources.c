/* What only the supervisor opens: backing stores, listening sockets, the data
 * pool, links and eventfds. Children receive them as inherited fds. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "shm/link.h"
#include "shm/shm_fd.h"
#include "supervisor/sup.h"

#define SUP_CORE_ARENA_SIZE     (16ull << 20)
#define SUP_FRONTEND_ARENA_SIZE (128ull << 20)

int sup_open_file_lun(struct sup_target *t, struct sup_lun *l)
{
	struct stat st;
	int fd, flags = (l->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (l->direct ? O_DIRECT : 0);
	bool created = false;

	fd = open(l->path, flags);
	if (fd < 0 && errno == ENOENT) {
		if (!l->size) {
			log_err("%s LUN %u: %s does not exist and no size is given", t->name,
				l->lun, l->path);
			return -ENOENT;
		}
		fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | (l->direct ? O_DIRECT : 0),
			  0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		int err = -errno;

		log_err("%s LUN %u: cannot open %s%s: %s", t->name, l->lun, l->path,
			l->direct ? " with O_DIRECT" : "", strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	if (created) {
		/* Sparse: only what is written takes space. */
		if (ftruncate(fd, (off_t)l->size) < 0)
			goto fail;
		log_info("%s LUN %u: created sparse file %s of %llu bytes", t->name, l->lun,
			 l->path, (unsigned long long)l->size);
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;

		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			goto fail;
		l->size = bytes - bytes % l->block_size;
	} else if (S_ISREG(st.st_mode)) {
		uint64_t bytes = (uint64_t)st.st_size - (uint64_t)st.st_size % l->block_size;

		if (l->size && l->size != bytes)
			log_warn("%s LUN %u: %s exists with %llu bytes; using its size", t->name,
				 l->lun, l->path, (unsigned long long)bytes);
		l->size = bytes;
	} else {
		log_err("%s LUN %u: %s is neither a regular file nor a block device", t->name,
			l->lun, l->path);
		close(fd);
		return -EINVAL;
	}
	if (l->size < l->block_size) {
		log_err("%s LUN %u: %s is smaller than one block", t->name, l->lun, l->path);
		close(fd);
		return -EINVAL;
	}
	l->fd = fd;
	return 0;
fail:
	log_err("%s LUN %u: %s: %s", t->name, l->lun, l->path, strerror(errno));
	close(fd);
	return -errno;
}

int sup_open_backing(struct sup *s)
{
	uint32_t devs[SUP_BE_COUNT] = { 0 };

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];

		for (uint32_t k = 0; k < t->nluns; k++) {
			struct sup_lun *l = &t->luns[k];
			int err = 0;

			if (l->backend == SUP_BE_FILE) {
				err = sup_open_file_lun(t, l);
			} else if (l->backend == SUP_BE_RAM) {
				l->fd = shm_memfd_create_growable("mtgt-ram", l->size);
				if (l->fd < 0) {
					err = l->fd;
					log_err("%s LUN %u: cannot create RAM disk of %llu bytes: %s",
						t->name, l->lun, (unsigned long long)l->size,
						strerror(-err));
				}
			}
			if (err)
				return err;
			l->dev = devs[l->backend]++;
		}
	}
	return 0;
}

/* The core may not open files; it keeps what must survive a restart of the
 * whole target (APTPL reservations) in this one file, which it writes with
 * torn-write protection of its own. */
int sup_open_state(struct sup *s)
{
	snprintf(s->state_path, sizeof(s->state_path), "%s/core-state.db", s->cfg.state_dir);
	s->state_fd = open(s->state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->state_fd < 0) {
		int err = -errno;

		log_err("state file %s: %s", s->state_path, strerror(errno));
		return err;
	}
	return 0;
}

int sup_bind_portal(const struct sup_portal *p)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;
	bool v6 = strchr(p->host, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p->port);
		inet_pton(AF_INET6, p->host, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(p->port);
		inet_pton(AF_INET, p->host, &a->sin_addr);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 256) < 0) {
		int err = -errno;

		log_err("portal %s: %s", p->text, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int sup_bind_portals(struct sup *s)
{
	for (uint32_t i = 0; i < s->cfg.nportals; i++) {
		int fd = sup_bind_portal(&s->cfg.portals[i]);

		if (fd < 0)
			return fd;
		s->listen_fds[i] = fd;
	}
	return 0;
}

int sup_create_pool(struct sup *s)
{
	uint64_t sizes[POOL_MAX_ARENAS];
	uint32_t n = 0;

	sizes[n++] = SUP_CORE_ARENA_SIZE;
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == SUP_FRONTEND) {
			s->procs[i].arena = n;
			sizes[n++] = SUP_FRONTEND_ARENA_SIZE;
		}
	return pool_create(&s->pool, n, sizes);
}

int sup_link_new(struct sup *s, struct sup_link *l, uint32_t id, uint32_t epoch_a,
		 uint32_t epoch_b)
{
	int err;

	sup_link_close(l);
	err = link_create(SUP_LINK_ENTRIES, epoch_a, epoch_b, &l->memfd, &l->len);
	if (err)
		return err;
	l->efd_a = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->efd_b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->efd_a < 0 || l->efd_b < 0) {
		sup_link_close(l);
		return -EMFILE;
	}
	/* The id names the logical link (the LUN table routes by it); only the
	 * memory and the epochs are new for each incarnation. */
	l->id = id;
	l->valid = true;
	return 0;
}

void sup_link_close(struct sup_link *l)
{
	if (!l->valid)
		return;
	close(l->memfd);
	close(l->efd_a);
	close(l->efd_b);
	l->valid = false;
}
