#!/usr/bin/env bash
# Three PoPs on one machine, for trying innet's multi-PoP mode (docs/multipop.md):
# a local PostgreSQL (role and database `innet`) and three innetd, PoPs paris,
# lyon and berlin, sharing it as their registry, on the Figure 3 network whose
# platform1, platform2 and platform3 are served by paris, lyon and berlin.
#
#   tools/multipop.sh [DIR] [--pg-port N] [--api-port N] [-- innetd flags...]
#       starts everything in DIR (default: a new folder under /tmp), prints how
#       to use it and waits; Ctrl-C (or SIGTERM) stops everything.
#   tools/multipop.sh stop DIR
#       stops what a multipop.sh started in DIR (from another terminal, or
#       after the first was killed).
#
# --pg-port: PostgreSQL's TCP port on 127.0.0.1 (default: a free one).
# --api-port: paris's API port, lyon and berlin the next two (default 8081;
#   0: three free ports). DIR/env holds the addresses and the operator token
#   (`. DIR/env`). A DIR given is kept at stop (started again, the same data);
#   the default one is removed. As root, PostgreSQL runs as the user postgres
#   (else nobody), as Debian runs it; otherwise as you.
# Needs: a build (build/innetd, or $INNETD), Debian's postgresql, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${INNET_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
INNETD=${INNETD:-$ROOT/build/innetd}
INNET_CLI=${INNET_CLI:-$(dirname "$INNETD")/innet}
POPS=(paris lyon berlin)

die() { echo "multipop.sh: $*" >&2; exit 1; }

usage() {
	sed -n '2,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The unprivileged user PostgreSQL runs as: the caller, or postgres/nobody for root.
pg_user() {
	if [ "$(id -u)" != 0 ]; then
		id -un
	elif id postgres >/dev/null 2>&1; then
		echo postgres
	else
		echo nobody
	fi
}

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$(pg_user)" -- "$@"
	else
		"$@"
	fi
}

# Is pid running (not gone, nor a zombie its parent has not reaped yet)?
running() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- stop ----------------------------------------------------------------------

# Stop the innetd whose pids are in DIR/*/pid (all at once, then wait
# for each), then PostgreSQL; idempotent.
stop_all() {
	local dir=$1 p pid pids=()
	rm -f "$dir/env" # its addresses answer no more
	for p in "${POPS[@]}"; do
		[ -f "$dir/$p/pid" ] || continue
		pid=$(cat "$dir/$p/pid")
		# only an innetd of ours: its command line names this state folder
		if running "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$dir/$p/"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$dir/$p/pid"
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 100); do
			running "$pid" || break
			sleep 0.1
		done
		running "$pid" && kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -f "$dir/pg/data/postmaster.pid" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			as_pg "$PG_BIN/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
}

cmd_stop() {
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: $0 stop DIR"
	[ -d "$dir" ] || die "$dir: no such folder"
	dir=$(cd "$dir" && pwd)
	[ -f "$dir/multipop.pid" ] || [ -d "$dir/pg" ] || die "$dir was not started by multipop.sh"
	local pid
	# the running multipop.sh cleans up on SIGTERM; wait for it
	if [ -f "$dir/multipop.pid" ]; then
		pid=$(cat "$dir/multipop.pid")
		if running "$pid"; then
			kill -TERM "$pid"
			for _ in $(seq 300); do
				running "$pid" || break
				sleep 0.1
			done
		fi
	fi
	stop_all "$dir"
	rm -f "$dir/multipop.pid"
	[ -f "$dir/.remove" ] && rm -rf "$dir"
	echo "multipop.sh: stopped $dir"
}

# --- start ---------------------------------------------------------------------

start_pg() {
	local dir=$1 port=$2 pw
	mkdir -p "$dir/pg"
	chmod 700 "$dir/pg"
	[ "$(id -u)" = 0 ] && chown "$(pg_user)" "$dir/pg"
	if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
		# initdb: the superuser postgres, trusted on the socket in DIR/pg only;
		# TCP with a password (scram-sha-256) for the role innet
		as_pg "$PG_BIN/initdb" -D "$dir/pg/data" -U postgres --auth-local=trust \
			--auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/pg/initdb.log" 2>&1 ||
			die "initdb failed: $(cat "$dir/pg/initdb.log")"
	fi
	as_pg setsid "$PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir/pg" start >/dev/null ||
		die "PostgreSQL did not start: $(tail -n 20 "$dir/pg/server.log")"
	echo "$port" >"$dir/pg/port"
	if [ ! -f "$dir/pg/password" ]; then
		pw=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
		# what an operator types (docs/multipop.md): a role and its database
		as_pg "$PG_BIN/psql" -h "$dir/pg" -p "$port" -U postgres -d postgres -X -q \
			-v ON_ERROR_STOP=1 -c "CREATE ROLE innet LOGIN PASSWORD '$pw'" \
			-c "CREATE DATABASE innet OWNER innet" >/dev/null
		(umask 077 && echo "$pw" >"$dir/pg/password")
	fi
}

write_snapshot() {
	python3 - "$ROOT/examples/figure3-network.json" "$1" <<'EOF'
import json, sys
net = json.load(open(sys.argv[1]))
pops = {"platform1": "paris", "platform2": "lyon", "platform3": "berlin"}
for n in net["nodes"]:
    if n["type"] == "platform":
        n["pop"] = pops[n["name"]]
net["comment"] = "Figure 3 on three PoPs: platform1 in paris, platform2 in lyon, platform3 in berlin"
json.dump(net, open(sys.argv[2], "w"), indent=1)
EOF
}

# innetd of PoP $2 on port $3; prints its address once it is ready.
start_innetd() {
	local dir=$1 pop=$2 port=$3 reg=$4 admin=$5
	shift 5
	mkdir -p "$dir/$pop"
	rm -f "$dir/$pop/ready"
	# its own session: Ctrl-C reaches this script, which stops it in order
	setsid "$INNETD" --pop "$pop" --registry "$reg" --admin-token "$admin" \
		--listen "127.0.0.1:$port" --ready-file "$dir/$pop/ready" \
		--db "$dir/$pop/unused.db" --network "$dir/network.json" \
		--policy "$ROOT/examples/figure3-policy.reach" "$@" \
		>>"$dir/$pop/innetd.log" 2>&1 &
	echo $! >"$dir/$pop/pid"
	for _ in $(seq 300); do
		[ -s "$dir/$pop/ready" ] && { cat "$dir/$pop/ready"; return 0; }
		running "$(cat "$dir/$pop/pid")" ||
			die "innetd $pop exited: $(tail -n 20 "$dir/$pop/innetd.log")"
		sleep 0.1
	done
	die "innetd $pop not ready after 30 s: $(tail -n 20 "$dir/$pop/innetd.log")"
}

cmd_start() {
	local dir="" pg_port="" api_port=8081 remove=0
	while [ $# -gt 0 ]; do
		case $1 in
		--pg-port) pg_port=${2:?--pg-port needs a port}; shift 2 ;;
		--pg-port=*) pg_port=${1#*=}; shift ;;
		--api-port) api_port=${2:?--api-port needs a port}; shift 2 ;;
		--api-port=*) api_port=${1#*=}; shift ;;
		-h|--help) usage ;;
		--) shift; break ;;
		-*) die "unknown option $1 (--help)" ;;
		*) [ -z "$dir" ] || die "one folder only (--help)"; dir=$1; shift ;;
		esac
	done
	[[ $api_port =~ ^[0-9]+$ ]] && [ "$api_port" -le 65533 ] || die "--api-port: a port number"
	[ -z "$pg_port" ] || { [[ $pg_port =~ ^[0-9]+$ ]] && [ "$pg_port" -le 65535 ]; } ||
		die "--pg-port: a port number"
	[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server in ${PG_BIN:-/usr/lib/postgresql/*/bin} (Debian: apt-get install postgresql)"
	[ -x "$INNETD" ] || die "no innetd at $INNETD: build it (meson setup build && ninja -C build) or set INNETD"
	if [ -z "$dir" ]; then
		dir=$(mktemp -d /tmp/innet-multipop.XXXXXX)
		remove=1
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/multipop.pid" ] && running "$(cat "$dir/multipop.pid")"; then
		die "$dir is in use by multipop.sh (pid $(cat "$dir/multipop.pid")): $0 stop $dir"
	fi
	echo $$ >"$dir/multipop.pid"
	rm -f "$dir/env" # written again once the three answer
	[ $remove = 1 ] && : >"$dir/.remove"
	if [ "$(id -u)" = 0 ]; then
		chmod 755 "$dir" # the postgres user reaches DIR/pg
		as_pg test -x "$dir" ||
			die "the user $(pg_user) cannot reach $dir (a parent folder closed to others?): choose another DIR"
	fi

	trap 'stop_all "$dir"; rm -f "$dir/multipop.pid"; [ $remove = 1 ] && rm -rf "$dir"; echo "multipop.sh: stopped" >&2; exit 0' INT TERM
	trap 'stop_all "$dir"; rm -f "$dir/multipop.pid"' EXIT

	[ -n "$pg_port" ] || pg_port=$(free_port)
	start_pg "$dir" "$pg_port"
	local reg admin i port addr
	reg="postgresql://innet:$(cat "$dir/pg/password")@127.0.0.1:$pg_port/innet"
	[ -f "$dir/admin-token" ] || (umask 077 && python3 -c 'import secrets; print("admin-" + secrets.token_hex(16))' >"$dir/admin-token")
	admin=$(cat "$dir/admin-token")
	write_snapshot "$dir/network.json"
	: >"$dir/env.new"
	chmod 600 "$dir/env.new"
	for i in 0 1 2; do
		port=0
		[ "$api_port" = 0 ] || port=$((api_port + i))
		addr=$(start_innetd "$dir" "${POPS[$i]}" "$port" "$reg" "$admin" "$@")
		echo "export ${POPS[$i]^^}=http://$addr" >>"$dir/env.new"
	done
	{
		echo "export ADMIN=$admin"
		echo "export INNET_REGISTRY='$reg'"
	} >>"$dir/env.new"
	mv "$dir/env.new" "$dir/env"
	# shellcheck disable=SC1091
	. "$dir/env"
	cat <<EOF
multipop.sh: three innetd on one PostgreSQL registry, in $dir
  paris   $PARIS   (serves platform1)
  lyon    $LYON   (serves platform2)
  berlin  $BERLIN   (serves platform3)
  registry $reg
  logs    $dir/{paris,lyon,berlin}/innetd.log, $dir/pg/server.log

In another terminal:
  . $dir/env

  # a tenant, created through paris
  TOKEN=\$(curl -s -H "Authorization: Bearer \$ADMIN" -H "Content-Type: application/json" \\
      -d '{"name": "alice", "kind": "client", "addresses": ["172.16.15.0/24"]}' \\
      \$PARIS/v1/tenants | jq -r .token)
  # a module deployed through lyon (placed on lyon's platform2 when it holds there)
  curl -s -H "Authorization: Bearer \$TOKEN" -H "Content-Type: application/json" \\
      -d '{"name": "echo", "config": "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"}' \\
      \$LYON/v1/modules | jq
  # the Figure 4 batcher, through paris: it holds only on platform3, so berlin installs it
  curl -s -H "Authorization: Bearer \$TOKEN" -H "Content-Type: application/json" \\
      -d @$ROOT/examples/figure4-request.json \$PARIS/v1/modules | jq '{id, platform, pop, state}'
  # the tenant's modules, seen through berlin
  curl -s -H "Authorization: Bearer \$TOKEN" \$BERLIN/v1/modules | jq '.modules[] | {name, platform, pop, address}'
  # the same with the innet command
  INNET_SERVER=\$BERLIN INNET_TOKEN=\$TOKEN $INNET_CLI ls
  INNET_SERVER=\$PARIS INNET_TOKEN=\$ADMIN $INNET_CLI tenant ls

Ctrl-C here, or: $0 stop $dir
EOF
	# wait until stopped; an innetd that dies stops the lot (and says which)
	while :; do
		for i in 0 1 2; do
			running "$(cat "$dir/${POPS[$i]}/pid")" || {
				echo "multipop.sh: innetd ${POPS[$i]} exited: $(tail -n 5 "$dir/${POPS[$i]}/innetd.log")" >&2
				stop_all "$dir"
				rm -f "$dir/multipop.pid"
				trap - EXIT
				exit 1
			}
		done
		sleep 1 &
		wait $! || true
	done
}

case "${1:-}" in
stop) shift; cmd_stop "$@" ;;
start) shift; cmd_start "$@" ;;
-h|--help) usage ;;
*) cmd_start "$@" ;;
esac
