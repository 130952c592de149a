/* config.show, config.save, config.load. The saved file is the running
 * configuration document (see sup_config_doc.c) written with a fixed layout,
 * so saving, starting from the saved file and saving again gives the same
 * bytes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rpc_schema.h"
#include "supervisor/sup_live.h"

#define SAVE_VERSIONS 10

static char *cfg_path; /* absolute path of mtgtd -c, or NULL */

void sup_config_set_path(const char *path)
{
	char buf[PATH_MAX];

	free(cfg_path);
	cfg_path = path ? strdup(realpath(path, buf) ? buf : path) : NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* path.9 -> path.10, ..., path -> path.1 (a hard link: path itself stays in
 * place until the new version is renamed over it). */
static void rotate(const char *path)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];

	for (int i = SAVE_VERSIONS - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", path, i);
		snprintf(to, sizeof(to), "%s.%d", path, i + 1);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", path);
	unlink(to);
	if (link(path, to) < 0 && errno != ENOENT)
		log_warn("config save: keeping %s as %s: %s", path, to, strerror(errno));
}

int sup_config_save(struct sup *s, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	char *txt;
	int fd, r, dfd;

	if (!path)
		path = cfg_path;
	if (!path) {
		snprintf(err, errlen, "params.file: mtgtd runs without -c; name a file");
		return -EINVAL;
	}
	if (strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "params.file: path too long");
		return -ENAMETOOLONG;
	}
	txt = json_dumps(s->cfg.doc, JSON_INDENT(2));
	if (!txt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600: the file holds CHAP secrets */
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "params.file: cannot create %s: %s", tmp, strerror(errno));
		free(txt);
		return r;
	}
	r = write_all(fd, txt, strlen(txt));
	if (!r)
		r = write_all(fd, "\n", 1);
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	free(txt);
	if (r) {
		unlink(tmp);
		snprintf(err, errlen, "params.file: writing %s: %s", tmp, strerror(-r));
		return r;
	}
	rotate(path);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		snprintf(err, errlen, "params.file: %s: %s", path, strerror(errno));
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself must survive a crash */
		close(dfd);
	}
	log_info("configuration saved to %s", path);
	return 0;
}

static json_t *rpc_config_show(struct sup *s, json_t *params, int *code, const char **msg)
{
	return json_deep_copy(s->cfg.doc);
}

static json_t *rpc_config_save(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *file = json_string_value(json_object_get(params, "file"));
	char err[512], abs[PATH_MAX];

	if (file && file[0] != '/')
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.file: must be an absolute path"), NULL);
	if (sup_config_save(s, file, err, sizeof(err))) {
		*msg = sup_rpc_errf(code, RPC_E_FAILED, "%s", err);
		return NULL;
	}
	snprintf(abs, sizeof(abs), "%s", file ? file : cfg_path);
	return json_pack("{s:s, s:i}", "file", abs, "versions_kept", SAVE_VERSIONS);
}

static json_t *rpc_config_load(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *file = json_string_value(json_object_get(params, "file"));
	bool dry = json_is_true(json_object_get(params, "dry_run"));
	json_error_t jerr;
	json_t *doc, *diff;
	char err[768];
	int r;

	if (file[0] != '/')
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.file: must be an absolute path"), NULL);
	doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS, "params.file: %s:%d:%d: %s",
			file, jerr.line, jerr.column, jerr.text), NULL);
	r = sup_live_apply(s, doc, dry, &diff, err, sizeof(err));
	json_decref(doc);
	if (r) {
		*msg = sup_rpc_errf(code, r == -ESHUTDOWN ? RPC_E_BUSY : RPC_E_PARAMS, "%s", err);
		return NULL;
	}
	return json_pack("{s:b, s:o}", "dry_run", dry, "changes", diff);
}

const struct sup_rpc_entry sup_rpc_config_methods[] = {
	{ "config.show", rpc_config_show },
	{ "config.save", rpc_config_save },
	{ "config.load", rpc_config_load },
	{ NULL, NULL },
};
