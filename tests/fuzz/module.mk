# Coverage-guided fuzzers (clang + libFuzzer + ASan/UBSan). Built only by
# `make fuzz` / `make fuzz-short`; each harness lists the sources it needs.
FUZZ_CC     := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I.
FUZZERS     := fuzz-config fuzz-ring
fuzz-config_SRCS := tests/fuzz/fuzz_config.c supervisor/sup_config.c supervisor/sup_acl.c supervisor/sup_config_doc.c supervisor/sup_policy.c supervisor/sup_sandbox.c supervisor/sup_alua.c common/log.c
fuzz-config_SRCS += supervisor/sup_srp.c supervisor/sup_fc.c procs/frontend-fc/vfio/vfio_pci.c
fuzz-config_LIBS := -ljansson
fuzz-ring_SRCS   := tests/fuzz/fuzz_ring.c shm/ring.c
# reservations and MODE SELECT parameter lists (mtgt-core)
FUZZERS += fuzz-pr
fuzz-pr_SRCS := tests/fuzz/fuzz_pr.c $(CORE_SCSI_SRCS)
# security-stage login keys and the CHAP state machine (mtgt-iscsi)
FUZZERS += fuzz-chap
fuzz-chap_SRCS := tests/fuzz/fuzz_chap.c procs/frontend-iscsi/iscsi_chap.c \
	procs/frontend-iscsi/iscsi_params.c procs/frontend-iscsi/iscsi_pdu.c \
	procs/frontend-iscsi/iscsi_crc32c.c
fuzz-chap_LIBS := -lnettle

build/fuzz/%: $$(%_SRCS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $($*_SRCS) $($*_LIBS)
# FC frames, FIP, link services and FCP IUs (procs/frontend-fc)
FUZZERS += fuzz-fc
fuzz-fc_SRCS := tests/fuzz/fuzz_fc.c $(FC_PURE)
fuzz-fc_LIBS := -lz
# the software FCoE driver's receive path (fc_fcoe.c)
FUZZERS += fuzz-fc-port
fuzz-fc-port_SRCS := tests/fuzz/fuzz_fc_port.c procs/frontend-fc/fc_fcoe.c procs/frontend-fc/fc_fcoe_enode.c $(FC_PURE) common/log.c
fuzz-fc-port_LIBS := -lz -ljansson
# SRP information units (mtgt-srp)
FUZZERS += fuzz-srp-iu
fuzz-srp-iu_SRCS := tests/fuzz/fuzz_srp_iu.c procs/frontend-srp/srp_iu.c
# the state a live upgrade hands to the new iSCSI frontend (untrusted input)
FUZZERS += fuzz-handover
fuzz-handover_SRCS := tests/fuzz/fuzz_handover.c procs/frontend-iscsi/iscsi_handover_state.c \
	procs/frontend-iscsi/iscsi_params.c procs/frontend-iscsi/iscsi_pdu.c
fuzz-handover_LIBS := -ljansson
# the state a live upgrade hands to the new SRP frontend (untrusted input)
FUZZERS += fuzz-srp-handover
fuzz-srp-handover_SRCS := tests/fuzz/fuzz_srp_handover.c procs/frontend-srp/srp_handover_parse.c \
	procs/frontend-srp/srp_soft_desc.c procs/frontend-srp/srp_iu.c
fuzz-srp-handover_LIBS := -ljansson
