#!/usr/bin/env bash
# The newcomer's two commands (see README):
#   tools/dev.sh run    install what is missing, build, run innetd on conf/innetd.conf
#   tools/dev.sh test   install what is missing, build, run every test
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
      libuv1-dev libjansson-dev libsqlite3-dev node-llhttp libsodium-dev
      libcmocka-dev libpcap-dev dpdk dpdk-dev libdpdk-dev libxen-dev
      python3 python3-scapy iproute2 ethtool curl sqlite3 jq tcpdump
      libpq-dev postgresql bubblewrap libseccomp-dev nginx-light unbound squid
      libnl-route-3-dev)

install_deps() {
	local missing=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "dev.sh: installing ${missing[*]}" >&2
		local sudo=""
		[ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
}

build() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >&2
	elif [ $# -gt 0 ]; then
		meson configure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >&2
}

case "${1:-}" in
run)
	install_deps
	build build
	shift
	exec build/innetd --config conf/innetd.conf "$@"
	;;
test)
	install_deps
	exec test/run-all
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
