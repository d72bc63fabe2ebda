#!/usr/bin/env bash
# Record the real Linux fixtures: load recording/gateway.* into nftables and iptables inside a
# network namespace this script creates (never the host's ruleset), send a few packets over
# the namespace's loopback so counters are non-zero, dump the rulesets, delete the namespace.
#
# Needs root, nftables and iptables (Debian: apt-get install nftables iptables).
# Afterwards regenerate expected.json files and review the diff (see README.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ns="egovops-fixture-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
traffic() { in_ns bash -c 'for i in 1 2 3; do echo egovops > /dev/udp/127.0.0.1/9; done'; }
in_ns ip link set lo up

# nftables: text, text with handles, JSON as nft prints it (one line) and pretty-printed.
in_ns nft -f "$here/recording/gateway.nft"
traffic
mkdir -p "$here/nftables/gateway" "$here/nftables/gateway-handles" \
  "$here/nftables-json/gateway" "$here/nftables-json/gateway-pretty"
in_ns nft list ruleset > "$here/nftables/gateway/ruleset.nft"
in_ns nft -a list ruleset > "$here/nftables/gateway-handles/ruleset.nft"
in_ns nft -j list ruleset > "$here/nftables-json/gateway/ruleset.json"
python3 -m json.tool --indent 2 --no-ensure-ascii "$here/nftables-json/gateway/ruleset.json" \
  > "$here/nftables-json/gateway-pretty/ruleset.json"
in_ns nft flush ruleset

# iptables (the nf_tables variant on Debian), IPv4 and IPv6, with counters.
in_ns iptables-restore < "$here/recording/gateway.iptables"
in_ns ip6tables-restore < "$here/recording/gateway.ip6tables"
traffic
mkdir -p "$here/iptables/gateway" "$here/iptables/gateway-counters" "$here/iptables/gateway-ipv6"
in_ns iptables-save > "$here/iptables/gateway/iptables-save.txt"
in_ns iptables-save -c > "$here/iptables/gateway-counters/iptables-save.txt"
in_ns ip6tables-save > "$here/iptables/gateway-ipv6/ip6tables-save.txt"
echo "recorded into $here" >&2
