#!/bin/bash
# The cache-mode and O_DIRECT checks of be-cache.sh with the libaio engine:
# chosen by the configuration, then chosen by itself when io_uring_setup is
# refused (test-no-uring: EPERM as under a container's seccomp profile).
here=$(dirname "$0")
out=$(BE_CACHE_NAME=be-libaio BE_CACHE_PORT=3436 BE_ENGINE=libaio BE_WANT_ENGINE=libaio \
	bash "$here/be-cache.sh" 2>&1)
echo "$out" | grep -q "^PASS be-libaio" || { echo "$out" | grep -v "^\[" >&2; echo "FAIL be-libaio: engine libaio by configuration: $(echo "$out" | grep '^FAIL')"; exit 1; }
out=$(BE_CACHE_NAME=be-libaio-auto BE_CACHE_PORT=3437 BE_ENGINE=auto BE_WANT_ENGINE=libaio \
	BE_WRAP=test-no-uring bash "$here/be-cache.sh" 2>&1)
echo "$out" | grep -q "^PASS be-libaio-auto" || { echo "FAIL be-libaio: automatic fallback: $(echo "$out" | grep '^FAIL')"; exit 1; }
echo "PASS be-libaio"
