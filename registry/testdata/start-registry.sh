#!/bin/sh
# Start Debian's docker-registry on 127.0.0.1 with a throwaway config and
# storage directory, wait until it answers, and print the address to use as
# ABLATE_TEST_REGISTRY. Usage: start-registry.sh [PORT] [DIR]
# Stop it with: kill "$(cat DIR/pid)".
set -eu
port=${1:-5000}
dir=${2:-$(mktemp -d)}
bin=$(command -v docker-registry || true)
if [ -z "$bin" ]; then
	echo "start-registry: docker-registry not found (apt-get install docker-registry)" >&2
	exit 1
fi
mkdir -p "$dir/storage"
cat >"$dir/config.yml" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CFG
"$bin" serve "$dir/config.yml" >"$dir/log" 2>&1 &
echo $! >"$dir/pid"
i=0
until curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 100 ]; then
		echo "start-registry: no answer on 127.0.0.1:$port after 10 s; log:" >&2
		cat "$dir/log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "127.0.0.1:$port"
