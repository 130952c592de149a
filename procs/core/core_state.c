/* The core state segment (see core_state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_pr_store.h"
#include "procs/core/core_state.h"

#define STATE_VERSION 1
#define EXT_MAX       4
#define STATE_MAX_NEXUSES 65536

bool core_state_dirty;
bool core_state_lazy;

static int seg_fd = -1;
static uint64_t seg_gen;
static bool seg_broken;          /* a save failed: say so once */
static const struct core_state_ext *exts[EXT_MAX];
static unsigned nexts;

void core_state_register(const struct core_state_ext *ext)
{
	if (nexts < EXT_MAX)
		exts[nexts++] = ext;
}

void core_state_open(struct core *co, json_t *desc)
{
	json_t *fdj = json_object_get(desc, "fd");
	struct stat st;

	(void)co;
	if (!json_is_integer(fdj))
		return;
	seg_fd = (int)json_integer_value(fdj);
	/* both slots must fit: a smaller segment is a supervisor bug */
	if (fstat(seg_fd, &st) || st.st_size < 2 * (off_t)PR_STORE_SLOT_SIZE) {
		log_err("state segment: fd %d is not a %u-byte segment", seg_fd,
			2 * PR_STORE_SLOT_SIZE);
		seg_fd = -1;
	}
}

/* ---- save ---- */

static json_t *u64_str(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	return json_string(b);
}

static json_t *itn_json(const struct scsi_itn *itn)
{
	return json_pack("{s:s, s:o}", "name", itn->name, "isid", u64_str(itn->isid));
}

static json_t *pr_json(const struct scsi_pr *pr)
{
	json_t *regs = json_array(), *o;

	for (uint32_t i = 0; i < pr->nregs; i++)
		json_array_append_new(regs, json_pack("{s:o, s:o, s:b}",
			"itn", itn_json(&pr->regs[i].itn), "key", u64_str(pr->regs[i].key),
			"atp", pr->regs[i].all_tg_pt));
	o = json_pack("{s:I, s:o, s:b}", "generation", (json_int_t)pr->generation,
		      "regs", regs, "aptpl", pr->aptpl);
	if (pr->reserved)
		json_object_set_new(o, "res", json_pack("{s:o, s:i}", "holder",
			itn_json(&pr->holder), "type", pr->type));
	if (pr->r2_held)
		json_object_set_new(o, "r2", itn_json(&pr->r2_holder));
	return o;
}

/* Nothing to restore: no reservation ever touched it, mode as configured
 * (a big LUN table then costs nothing to save). */
static bool lun_default(const struct core_lun *l)
{
	const struct scsi_pr *pr = &l->pr;

	return !pr->generation && !pr->nregs && !pr->reserved && !pr->r2_held && !pr->aptpl &&
	       l->lu.wce == l->lu.wce_default && !l->lu.d_sense && !l->lu.swp;
}

static json_t *lun_json(const struct core_lun *l)
{
	return json_pack("{s:s, s:i, s:o, s:{s:b, s:b, s:b}}", "target", l->tgt->name,
			 "lun", (int)l->lu.lun, "pr", pr_json(&l->pr), "mode",
			 "wce", l->lu.wce, "d_sense", l->lu.d_sense, "swp", l->lu.swp);
}

static json_t *nexus_json(const struct core_nexus *nx)
{
	json_t *ua = json_array();
	char sense[2 * MSG_SENSE_MAX + 1];

	/* only the LUs with something pending, by LUN number (slots are this
	 * incarnation's business): [lun, bits] */
	for (uint32_t i = 0; i < nx->tgt->nluns; i++)
		if (nx->ua[i] && nx->tgt->luns[i].live)
			json_array_append_new(ua, json_pack("[I, i]",
				(json_int_t)nx->tgt->luns[i].lu.lun, nx->ua[i]));
	for (unsigned i = 0; i < nx->pr_sense_len; i++)
		snprintf(sense + 2 * i, 3, "%02x", nx->pr_sense[i]);
	sense[2 * nx->pr_sense_len] = 0;
	return json_pack("{s:I, s:I, s:i, s:b, s:I, s:o, s:s, s:s, s:o, s:o, s:i, s:s, s:i}",
			 "link", (json_int_t)nx->link, "fe_epoch", (json_int_t)nx->fe_epoch,
			 "port", (int)nx->port, "async", (int)nx->async,
			 "id", (json_int_t)nx->id, "isid", u64_str(nx->isid),
			 "initiator", nx->initiator, "target", nx->tgt->name, "ua", ua,
			 "pr_tag", u64_str(nx->pr_tag), "pr_status", nx->pr_status,
			 "pr_sense", sense, "proto", (int)nx->proto);
}

static json_t *state_json(struct core *co)
{
	json_t *luns = json_array(), *nexuses = json_array(), *root;

	for (uint32_t t = 0; t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t i = 0; i < tg->nluns; i++)
			if (!lun_default(&tg->luns[i]))
				json_array_append_new(luns, lun_json(&tg->luns[i]));
		for (struct clist_node *n = tg->nexuses.first; n; n = n->next)
			json_array_append_new(nexuses,
				nexus_json(clist_entry(n, struct core_nexus, tnode)));
	}
	root = json_pack("{s:i, s:I, s:o, s:o}", "version", STATE_VERSION, "epoch",
			 (json_int_t)co->c->epoch, "luns", luns, "nexuses", nexuses);
	for (unsigned i = 0; i < nexts; i++) {
		json_t *v = exts[i]->save ? exts[i]->save(co) : NULL;

		if (v)
			json_object_set_new(root, exts[i]->key, v);
	}
	return root;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void core_state_save(struct core *co)
{
	static double last;
	json_t *root;
	char *s;
	int err;

	if (!core_state_dirty) {
		if (!core_state_lazy || now_ms() - last < CORE_STATE_LAZY_MS)
			return;
	}
	core_state_dirty = core_state_lazy = false;
	last = now_ms();
	if (seg_fd < 0)
		return;
	root = state_json(co);
	s = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	err = s ? pr_store_write(seg_fd, seg_gen + 1, s, strlen(s)) : -ENOMEM;
	free(s);
	if (!err) {
		seg_gen++;
		seg_broken = false;
	} else if (!seg_broken) {
		/* the previous copy stays readable; a restart would lose the
		 * change, not the state */
		seg_broken = true;
		log_err("state segment: save failed: %s", strerror(-err));
	}
}

/* ---- validation: nothing read back is trusted ---- */

static bool get_u64(json_t *v, uint64_t *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s || !*s || strlen(s) > 20 || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !*end && !errno;
}

static bool get_name(json_t *v, char *out)
{
	const char *s = json_string_value(v);

	if (!s || !*s || strlen(s) >= MSG_NAME_MAX)
		return false;
	if (out)
		snprintf(out, MSG_NAME_MAX, "%s", s);
	return true;
}

static bool get_int(json_t *v, json_int_t lo, json_int_t hi, json_int_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	if (out)
		*out = json_integer_value(v);
	return true;
}

static bool get_itn(json_t *o, struct scsi_itn *itn)
{
	struct scsi_itn tmp;

	if (!itn)
		itn = &tmp;
	memset(itn, 0, sizeof(*itn));
	return json_is_object(o) && get_name(json_object_get(o, "name"), itn->name) &&
	       get_u64(json_object_get(o, "isid"), &itn->isid);
}

static bool get_bool(json_t *o, const char *key)
{
	return json_is_boolean(json_object_get(o, key));
}

static const char *check_pr(json_t *pr)
{
	json_t *regs = json_object_get(pr, "regs"), *res = json_object_get(pr, "res"), *e;
	json_t *r2 = json_object_get(pr, "r2");
	uint64_t u;
	size_t i;

	if (!json_is_object(pr) || !get_int(json_object_get(pr, "generation"), 0, UINT32_MAX, NULL) ||
	    !get_bool(pr, "aptpl") || !json_is_array(regs) ||
	    json_array_size(regs) > SCSI_PR_MAX_REGS)
		return "bad reservation state";
	json_array_foreach(regs, i, e) {
		if (!get_itn(json_object_get(e, "itn"), NULL) ||
		    !get_u64(json_object_get(e, "key"), &u) || !get_bool(e, "atp"))
			return "bad registration";
	}
	if (res) {
		json_int_t type;

		if (!get_itn(json_object_get(res, "holder"), NULL) ||
		    !get_int(json_object_get(res, "type"), 0, 255, &type) ||
		    !scsi_pr_type_valid((uint8_t)type))
			return "bad reservation";
	}
	if (r2 && !get_itn(r2, NULL))
		return "bad SPC-2 reservation";
	return NULL;
}

static const char *check_lun(struct core *co, json_t *o)
{
	json_t *mode = json_object_get(o, "mode");

	if (!json_is_object(o) || !get_name(json_object_get(o, "target"), NULL) ||
	    !get_int(json_object_get(o, "lun"), 0, 16383, NULL))
		return "bad LU entry";
	(void)co;
	if (!json_is_object(mode) || !get_bool(mode, "wce") || !get_bool(mode, "d_sense") ||
	    !get_bool(mode, "swp"))
		return "bad mode values";
	return check_pr(json_object_get(o, "pr"));
}

static bool hex_sense(const char *s, uint8_t *out, uint8_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > MSG_SENSE_MAX)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		if (out)
			out[i] = (uint8_t)v;
	}
	if (len)
		*len = (uint8_t)(n / 2);
	return true;
}

static const char *check_nexus(struct core *co, json_t *o)
{
	json_t *ua = json_object_get(o, "ua"), *e;
	json_int_t link, id;
	struct core_link *cl;
	uint64_t u;
	size_t i;

	if (!json_is_object(o) || !get_int(json_object_get(o, "link"), 0, UINT32_MAX, &link) ||
	    !get_int(json_object_get(o, "fe_epoch"), 0, UINT32_MAX, NULL) ||
	    !get_int(json_object_get(o, "port"), 0, UINT16_MAX, NULL) ||
	    !get_bool(o, "async") ||
	    !get_int(json_object_get(o, "id"), 0, UINT32_MAX, &id) ||
	    !get_u64(json_object_get(o, "isid"), &u) ||
	    !get_name(json_object_get(o, "initiator"), NULL) ||
	    !get_name(json_object_get(o, "target"), NULL) || !json_is_array(ua) ||
	    !get_u64(json_object_get(o, "pr_tag"), &u) ||
	    !get_int(json_object_get(o, "pr_status"), 0, 255, NULL) ||
	    !json_is_string(json_object_get(o, "pr_sense")) ||
	    !hex_sense(json_string_value(json_object_get(o, "pr_sense")), NULL, NULL) ||
	    /* absent in segments written before the field: iSCSI */
	    (json_object_get(o, "proto") &&
	     !get_int(json_object_get(o, "proto"), 0, MSG_PROTO_MAX - 1, NULL)))
		return "bad nexus entry";
	cl = core_link_get(co, (uint32_t)link);
	if (cl && cl->role != CORE_ROLE_FRONTEND)
		return "nexus on a backend link";
	if (json_array_size(ua) > CORE_MAX_LUNS)
		return "too many unit attentions";
	json_array_foreach(ua, i, e) {
		json_int_t lu;

		/* an LU that left the configuration is skipped when applied */
		if (!json_is_array(e) || json_array_size(e) != 2 ||
		    !get_int(json_array_get(e, 0), 0, 16383, &lu) ||
		    !get_int(json_array_get(e, 1), 0, UINT16_MAX, NULL))
			return "bad unit attention";
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* a nexus id names one session of a link: never two */
static const char *check_unique(json_t *nxs)
{
	size_t n = json_array_size(nxs), i;
	uint64_t *k = malloc((n ? n : 1) * sizeof(*k));
	const char *why = NULL;
	json_t *e;

	if (!k)
		return "out of memory";
	json_array_foreach(nxs, i, e)
		k[i] = (uint64_t)json_integer_value(json_object_get(e, "link")) << 32 |
		       (uint64_t)json_integer_value(json_object_get(e, "id"));
	qsort(k, n, sizeof(*k), cmp_u64);
	for (i = 1; i < n && !why; i++)
		if (k[i] == k[i - 1])
			why = "nexus listed twice";
	free(k);
	return why;
}

static const char *check_all(struct core *co, json_t *root)
{
	json_t *luns = json_object_get(root, "luns"), *nxs = json_object_get(root, "nexuses"), *e;
	const char *why;
	size_t i;

	if (!json_is_object(root) || !get_int(json_object_get(root, "version"), STATE_VERSION,
					      STATE_VERSION, NULL))
		return "unknown version";
	if (!json_is_array(luns) || !json_is_array(nxs))
		return "luns or nexuses missing";
	json_array_foreach(luns, i, e)
		if ((why = check_lun(co, e)))
			return why;
	if (json_array_size(nxs) > STATE_MAX_NEXUSES)
		return "too many nexuses";
	json_array_foreach(nxs, i, e)
		if ((why = check_nexus(co, e)))
			return why;
	if ((why = check_unique(nxs)))
		return why;
	for (unsigned x = 0; x < nexts; x++) {
		json_t *v = json_object_get(root, exts[x]->key);

		if (v && exts[x]->check && exts[x]->check(co, v))
			return "extension state refused";
	}
	return NULL;
}

/* ---- apply (validated input only) ---- */

static void apply_pr(struct scsi_pr *pr, json_t *o)
{
	json_t *regs = json_object_get(o, "regs"), *res = json_object_get(o, "res");
	json_t *r2 = json_object_get(o, "r2"), *e;
	size_t i;

	scsi_pr_free(pr);
	scsi_pr_init(pr);
	pr->generation = (uint32_t)json_integer_value(json_object_get(o, "generation"));
	pr->aptpl = json_is_true(json_object_get(o, "aptpl"));
	json_array_foreach(regs, i, e) {
		struct scsi_itn itn;
		uint64_t key = 0;

		get_itn(json_object_get(e, "itn"), &itn);
		get_u64(json_object_get(e, "key"), &key);
		scsi_pr_add_reg(pr, &itn, key, json_is_true(json_object_get(e, "atp")));
	}
	if (res) {
		pr->reserved = true;
		pr->type = (uint8_t)json_integer_value(json_object_get(res, "type"));
		get_itn(json_object_get(res, "holder"), &pr->holder);
	}
	if (r2) {
		pr->r2_held = true;
		get_itn(r2, &pr->r2_holder);
	}
}

static void apply_lun(struct core *co, json_t *o)
{
	struct core_target *t = core_config_target(&co->cfg,
		json_string_value(json_object_get(o, "target")));
	json_t *mode = json_object_get(o, "mode");
	struct core_lun *l;

	if (!t || !(l = core_target_lun(t, (uint32_t)json_integer_value(json_object_get(o, "lun")))))
		return; /* the LU left the configuration meanwhile */
	apply_pr(&l->pr, json_object_get(o, "pr"));
	l->lu.wce = json_is_true(json_object_get(mode, "wce"));
	l->lu.d_sense = json_is_true(json_object_get(mode, "d_sense"));
	l->lu.swp = json_is_true(json_object_get(mode, "swp"));
	l->lu.readonly = l->lu.ro_config || l->lu.swp;
}

/* A session that ended while no core ran: its SPC-2 reservations end and its
 * port sees I_T NEXUS LOSS when it returns, as if the core had seen it go. */
static void lost_nexus(struct core_target *t, json_t *o)
{
	struct core_nexus nx;
	struct scsi_itn itn;

	memset(&nx, 0, sizeof(nx));
	nx.tgt = t;
	get_u64(json_object_get(o, "isid"), &nx.isid);
	get_name(json_object_get(o, "initiator"), nx.initiator);
	memset(&itn, 0, sizeof(itn));
	snprintf(itn.name, sizeof(itn.name), "%s", nx.initiator);
	itn.isid = nx.isid;
	for (uint32_t i = 0; i < t->nluns; i++)
		scsi_pr_nexus_lost(&t->luns[i].pr, &itn);
	core_ua_nexus_lost(&nx);
	core_state_dirty = true;
}

static bool apply_nexus(struct core *co, json_t *o)
{
	struct core_target *t = core_config_target(&co->cfg,
		json_string_value(json_object_get(o, "target")));
	struct core_link *cl = core_link_get(co, (uint32_t)json_integer_value(json_object_get(o, "link")));
	json_t *ua = json_object_get(o, "ua"), *e;
	struct core_nexus *nx;
	size_t i;

	/* the target or the frontend left the configuration, or the frontend
	 * was replaced meanwhile: that session is gone */
	if (!t || !cl || cl->role != CORE_ROLE_FRONTEND ||
	    cl->peer_epoch != (uint32_t)json_integer_value(json_object_get(o, "fe_epoch"))) {
		if (t)
			lost_nexus(t, o);
		return false;
	}
	nx = calloc(1, sizeof(*nx));
	if (!nx || !(nx->ua = calloc(CORE_MAX_LUNS, sizeof(*nx->ua))) ||
	    core_nexus_view_init(nx)) {
		if (nx) {
			core_nexus_view_free(nx);
			free(nx->ua);
		}
		free(nx);
		return false;
	}
	nx->id = (uint32_t)json_integer_value(json_object_get(o, "id"));
	nx->link = cl->id;
	nx->fe_epoch = cl->peer_epoch;
	nx->port = (uint16_t)json_integer_value(json_object_get(o, "port"));
	nx->async = json_is_true(json_object_get(o, "async"));
	nx->proto = (uint8_t)json_integer_value(json_object_get(o, "proto"));
	get_u64(json_object_get(o, "isid"), &nx->isid);
	get_name(json_object_get(o, "initiator"), nx->initiator);
	nx->tgt = t;
	/* the LUNs it sees through its ACL entry, as at a login */
	core_nexus_view(nx);
	json_array_foreach(ua, i, e) {
		struct core_lun *l = core_target_lun(t, (uint32_t)json_integer_value(json_array_get(e, 0)));

		if (l)
			nx->ua[l->index] |= (uint16_t)json_integer_value(json_array_get(e, 1));
	}
	get_u64(json_object_get(o, "pr_tag"), &nx->pr_tag);
	nx->pr_status = (uint8_t)json_integer_value(json_object_get(o, "pr_status"));
	hex_sense(json_string_value(json_object_get(o, "pr_sense")), nx->pr_sense,
		  &nx->pr_sense_len);
	nx->restored = true;
	core_nexus_insert(cl, nx);
	return true;
}

int core_state_restore(struct core *co)
{
	json_t *root, *e;
	const char *why;
	char *s = NULL;
	size_t len, i;
	int err, n = 0;

	if (seg_fd < 0)
		return 0;
	err = pr_store_read(seg_fd, &seg_gen, &s, &len);
	if (err == -ENOENT) {
		seg_gen = 0;
		log_info("state segment empty: a first start");
		return 0;
	}
	if (err) {
		log_err("state segment unreadable: %s; starting from the APTPL state", strerror(-err));
		return err;
	}
	root = json_loadb(s, len, 0, NULL);
	free(s);
	why = root ? check_all(co, root) : "not JSON";
	if (why) {
		log_err("state segment refused (%s): starting from the APTPL state only", why);
		json_decref(root);
		/* the next save overwrites the garbage with what we run on */
		core_state_dirty = true;
		return -EINVAL;
	}
	json_array_foreach(json_object_get(root, "luns"), i, e)
		apply_lun(co, e);
	json_array_foreach(json_object_get(root, "nexuses"), i, e)
		n += apply_nexus(co, e);
	for (unsigned x = 0; x < nexts; x++) {
		json_t *v = json_object_get(root, exts[x]->key);

		if (v && exts[x]->apply)
			exts[x]->apply(co, v);
	}
	log_info("state segment (generation %llu, written by epoch %lld): %u LUs, %d nexuses restored",
		 (unsigned long long)seg_gen,
		 (long long)json_integer_value(json_object_get(root, "epoch")),
		 (unsigned)json_array_size(json_object_get(root, "luns")), n);
	json_decref(root);
	return n;
}
