/* The core state segment: what a new core incarnation needs to carry on where a
 * dead (or upgraded) one stopped without the frontends' sessions noticing.
 *
 * The supervisor creates the segment (a memfd of fixed, sealed size) once and
 * hands it to every core incarnation (init key "state_seg": {"fd", "size"}).
 * It holds two slots in the format of core_pr_store.c: checksummed header,
 * generation number, JSON payload. A save writes the slot not holding the
 * newest copy, so a core killed in the middle of a save leaves the previous
 * version intact (the torn slot fails its checksum).
 *
 * Contents: every LU's reservations (all registrations, not only APTPL), the
 * mode values MODE SELECT changed, the ALUA slot, and the nexus table (per
 * frontend link: nexus id, initiator port, target, pending unit attentions per
 * LU, and the last PR OUT applied with its status, so a PR OUT the frontend
 * re-submits after a restart is not applied twice).
 *
 * Every save happens before the answers that depend on it are published to a
 * frontend (core_tx_flush), so what an initiator was told is in the segment.
 * A segment read back is validated completely before any of it is applied; a
 * bad one (a compromised core could have written anything) is refused and
 * logged, and the core starts from the APTPL file alone. */
#ifndef MTGT_CORE_STATE_H
#define MTGT_CORE_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct core;

/* Set by whatever changes saved state; the next tx flush saves. */
extern bool core_state_dirty;
/* Set when a unit attention was only reported (consumed): saved at most every
 * CORE_STATE_LAZY_MS. Losing that costs a restart nothing but reporting the
 * attention once more, which initiators must accept anyway; saving the
 * whole state for each of them would cost a big LUN table dearly. */
extern bool core_state_lazy;
#define CORE_STATE_LAZY_MS 50

/* Open the segment named in the init document (no-op without one). */
void core_state_open(struct core *co, json_t *desc);
/* Restore from the segment after the config and APTPL state are loaded and
 * the links are known. Returns the number of nexuses restored, or -errno
 * when the segment was refused (the core then runs on the APTPL state). */
int  core_state_restore(struct core *co);
/* Write the current state if core_state_dirty. */
void core_state_save(struct core *co);

/* Extension slot ("alua" in the payload) for state kept by other core
 * modules: save returns a new reference (or NULL for nothing), check
 * validates without side effects (0 or -EINVAL), apply installs it. */
struct core_state_ext {
	const char *key;
	json_t *(*save)(struct core *co);
	int     (*check)(struct core *co, json_t *v);
	void    (*apply)(struct core *co, json_t *v);
};
/* Register at start-up, before core_state_restore (at most 4). */
void core_state_register(const struct core_state_ext *ext);
/* core_state_alua.c: the ALUA port group states under "alua" */
void core_state_alua_register(void);
/* core_sanitize.c: a sanitize running (resumed) or failed, under "sanitize" */
void core_sanitize_state_register(void);
/* core_media.c: removable media (loaded/ejected, prevention per I_T nexus),
 * under "media" */
void core_media_state_register(void);

#endif
