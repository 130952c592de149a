#!/bin/bash
# SIGKILL of the SCSI core during I/O: a new core takes over the links, the
# frontend and the backends keep running (same pids), sessions stay up and the
# initiator sees no I/O error (strict unless MTGT_STRICT_KILL=0); data written
# before is intact and I/O works afterwards. core-restart.sh goes further.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/kill.sh"
tl_init core-kill 3355
MTGT_STRICT_KILL=${MTGT_STRICT_KILL:-1}
tl_kill_scenario core "iscsi backend-file backend-null backend-ram"
tl_pass
