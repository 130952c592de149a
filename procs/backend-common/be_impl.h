/* Framework internals shared by be_main.c and be_loop.c. */
#ifndef MTGT_BE_IMPL_H
#define MTGT_BE_IMPL_H

#include <ev.h>

#include "common/ctl.h"
#include "common/child.h"
#include "procs/backend-common/be.h"

struct be_link {
	struct link *l;
	struct link  own;       /* storage for links attached after init */
	uint32_t id;
	bool     live;          /* attached and not given up on */
	bool     drain_report;  /* be_relink.c: say LINK_DRAINED once idle */
	uint32_t outstanding;   /* taken; completion not yet in the tx ring */
	struct be_io *done_head, *done_tail;
	struct be *b;
	ev_io    wake_w;
};

struct be {
	struct child c;
	const struct be_ops *ops;
	struct be_tune tune;
	struct be_dev *devs;
	uint32_t ndevs;
	struct be_link links[CHILD_MAX_LINKS];
	uint32_t nlinks;
	struct be_io *slots;
	struct be_io *free_slots;
	uint32_t busy_slots;
	uint32_t in_kind;       /* started and not yet finished by the kind */
	void    *priv;
	int      completion_fd;
	struct ev_loop *loop;
	ev_io    comp_w;
	ev_timer drain_w;
	bool     draining;
	bool     drain_expired;
	struct be_stats st;
	const int *sb_calls;    /* the kind's extra syscalls (be_set_sandbox) */
	bool     sb_set, sb_io_uring;
	const char *engine;     /* be_set_engine_name */
};

void be_link_watch(struct be *b, struct be_link *bl);
void be_run(struct be *b);
/* be_live.c: CTL_DEV_ADD / CTL_DEV_DEL; false for other types */
bool be_live_ctl(struct be *b, struct ctl_msg *m);

/* be_devs.c: CTL_LUN_RESIZE {"dev","size"}: the device's new size */
void be_dev_resize(struct be *b, const struct ctl_msg *m);

/* be_lba.c: answer MSG_IO_LBA_STATUS through the kind's lba_status op. */
void be_lba_status(struct be *b, struct be_io *io);

#endif
