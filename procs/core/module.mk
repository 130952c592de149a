PROGS += mtgt-core
CORE_SCSI_SRCS := procs/core/scsi_sense.c procs/core/scsi_cdb.c procs/core/scsi_luns.c \
	procs/core/scsi_inquiry.c procs/core/scsi_mode.c procs/core/scsi_rw.c \
	procs/core/scsi_ua.c procs/core/scsi_emul.c procs/core/scsi_opcodes.c \
	procs/core/scsi_pr.c procs/core/scsi_mode_select.c \
	procs/core/scsi_blk.c procs/core/scsi_sbc.c procs/core/scsi_alua.c procs/core/scsi_mmc.c \
	procs/core/scsi_xcopy.c procs/core/scsi_sanitize.c
CORE_SCSI_SRCS += procs/core/scsi_ro.c
mtgt-core_SRCS := procs/core/main.c procs/core/core_config.c procs/core/core_link.c procs/core/core_live.c procs/core/core_stats.c \
	procs/core/core_cmd.c procs/core/core_tmf.c procs/core/core_verify.c \
	procs/core/core_pr.c procs/core/core_pr_store.c procs/core/core_emul_out.c \
	procs/core/core_mode.c procs/core/core_ua.c procs/core/core_async.c procs/core/core_alua.c \
	procs/core/core_state.c procs/core/core_state_alua.c procs/core/core_replay.c \
	procs/core/core_quiesce.c \
	procs/core/core_blk.c procs/core/core_lbalock.c procs/core/core_sandbox.c \
	procs/core/core_xcopy.c procs/core/core_sanitize.c $(CORE_SCSI_SRCS)
mtgt-core_LIBS := -lev -ljansson -lz -lseccomp

TEST_PROGS += test-scsi-emul test-scsi-rw test-scsi-blk test-scsi-xcopy
test-scsi-xcopy_SRCS := tests/unit/test_scsi_xcopy.c $(CORE_SCSI_SRCS)
test-scsi-xcopy_LIBS := -lcmocka
test-scsi-blk_SRCS := tests/unit/test_scsi_blk.c $(CORE_SCSI_SRCS)
test-scsi-blk_LIBS := -lcmocka
test-scsi-emul_SRCS := tests/unit/test_scsi_emul.c $(CORE_SCSI_SRCS)
test-scsi-emul_LIBS := -lcmocka
test-scsi-rw_SRCS := tests/unit/test_scsi_rw.c $(CORE_SCSI_SRCS)
test-scsi-rw_LIBS := -lcmocka
# the read-only ACL entry's refusals (scsi_ro.c)
TEST_PROGS += test-scsi-ro
test-scsi-ro_SRCS := tests/unit/test_scsi_ro.c $(CORE_SCSI_SRCS)
test-scsi-ro_LIBS := -lcmocka

# plays supervisor, frontend and backend around a real mtgt-core process
TEST_PROGS += test-core-proc
test-core-proc_SRCS := tests/unit/test_core_proc.c tests/unit/test_core_proc_pr.c \
	tests/unit/test_core_proc_live.c tests/unit/test_core_proc_xcopy.c \
	tests/unit/test_core_proc_state.c procs/core/core_pr_store.c
test-core-proc_LIBS := -ljansson -lz

TEST_PROGS += test-scsi-pr
test-scsi-pr_SRCS := tests/unit/test_scsi_pr.c procs/core/core_pr_store.c $(CORE_SCSI_SRCS)
test-scsi-pr_LIBS := -lcmocka -lz
TEST_PROGS += test-scsi-mode
test-scsi-mode_SRCS := tests/unit/test_scsi_mode.c $(CORE_SCSI_SRCS)
test-scsi-mode_LIBS := -lcmocka
mtgt-core_SRCS += procs/core/core_resize.c procs/core/core_media.c procs/core/core_qd.c
TEST_PROGS += test-scsi-mmc
test-scsi-mmc_SRCS := tests/unit/test_scsi_mmc.c $(CORE_SCSI_SRCS)
test-scsi-mmc_LIBS := -lcmocka
TEST_PROGS += test-scsi-alua
test-scsi-alua_SRCS := tests/unit/test_scsi_alua.c procs/core/core_alua.c $(CORE_SCSI_SRCS)
test-scsi-alua_LIBS := -lcmocka -ljansson
