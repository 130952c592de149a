PROGS += mtgtd
mtgtd_SRCS := supervisor/main.c supervisor/sup_config.c supervisor/sup_policy.c supervisor/sup_resources.c \
              supervisor/sup_proc.c supervisor/sup_init_msg.c supervisor/sup_admin.c \
              supervisor/sup_notify.c supervisor/sup_sandbox.c supervisor/sup_audit.c supervisor/sup_alua.c \
              supervisor/sup_acl.c supervisor/sup_config_doc.c supervisor/sup_live.c supervisor/sup_live_portal.c \
              supervisor/sup_rpc.c supervisor/sup_rpc_config.c supervisor/sup_rpc_stats.c \
              supervisor/sup_isns.c supervisor/sup_session.c \
              supervisor/sup_core_restart.c supervisor/sup_core_handover.c
mtgtd_SRCS += supervisor/sup_upgrade.c supervisor/sup_upgrade_backend.c supervisor/sup_upgrade_iscsi.c
mtgtd_LIBS := -lev -ljansson -lsystemd -lseccomp
mtgtd_SRCS += supervisor/sup_lun.c supervisor/sup_stats.c
mtgtd_SRCS += supervisor/sup_srp.c
mtgtd_SRCS += supervisor/sup_fc.c
