#!/bin/bash
# SIGKILL of the iSCSI frontend during I/O: sessions drop, the supervisor
# restarts the frontend on the listening socket it kept, the initiator
# reconnects and its I/O goes on; the core and the backends keep running.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/kill.sh"
tl_init frontend-kill 3354
tl_kill_scenario iscsi "core backend-file backend-null backend-ram"
tl_pass
