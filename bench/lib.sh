# bench/lib.sh: the mtgt set-up the benchmark scripts share (run.sh,
# cost.sh, qd1-sched.sh). Source it after tests/lib/target.sh and tl_init.

# bench_mtgt_config IQN FILE [EXTRA]: $TL_DIR/mtgtd.json serving IQN with LUN 1
# a file LUN on FILE and LUN 2 a 1 TiB null LUN, 512-byte blocks; EXTRA is
# more top-level keys with a trailing comma (an experiment).
bench_mtgt_config() {
	cat >"$TL_DIR/mtgtd.json" <<EOC
{ ${3:-}
  "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$1",
      "luns": [ {"lun": 1, "backend": "file", "path": "$2", "block_size": 512},
                {"lun": 2, "backend": "null", "size": "1T", "block_size": 512} ],
      "initiators": ["*"] } ] }
EOC
}

# bench_start_mtgt CPU [WRAP...]: mtgtd on that CPU (all CPUs if CPU is
# empty), under an optional wrapper command, until ready.
bench_start_mtgt() {
	local cpu=$1
	shift
	if [ -n "$cpu" ]; then
		"$@" taskset -c "$cpu" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
	else
		"$@" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
	fi
	TL_PID=$!
	tl_wait_ready || tl_fail "mtgt not ready"
}
