#!/bin/bash
# SIGKILL of the file backend during I/O: the supervisor restarts it (new pid,
# restarts +1), I/O works afterwards and data written before is intact; the
# core and the frontend keep running. I/O errors during the kill are counted
# and shown; MTGT_STRICT_BACKEND_KILL=1 makes any error fail the test, as the
# design promises an initiator sees no error for READ/WRITE.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/kill.sh"
tl_init backend-kill 3347
tl_kill_scenario backend-file "core iscsi backend-null backend-ram"
tl_pass
