#!/bin/bash
# SIGKILL of the SCSI core during I/O: in this version the data path restarts
# (sessions drop); the initiator reconnects, data written before is intact and
# I/O works again.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/kill.sh"
tl_init core-kill 3355
tl_kill_scenario core ""
tl_pass
