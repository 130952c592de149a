#!/bin/bash
# SIGKILL of the file backend during I/O: the supervisor restarts it (new pid,
# restarts +1), I/O works afterwards and data written before is intact; the
# core and the frontend keep running. The initiator must see no I/O error at
# all (the core reissues the in-flight I/O); MTGT_STRICT_BACKEND_KILL=0 only
# counts errors.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/kill.sh"
tl_init backend-kill 3347
tl_kill_scenario backend-file "core iscsi backend-null backend-ram"
tl_pass
