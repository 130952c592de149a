# The network of an FC test: two network namespaces (target T, initiator I)
# joined by a veth pair with the FCoE MTU (2158: full 2112-byte payloads),
# created here and deleted by the EXIT trap this sets (with the target and
# an optional capture, $CAP_PID). Sourced after tests/lib/target.sh and
# tl_init. Where namespaces cannot be made the test prints SKIP and passes.
#
#   fc_net_up TAG    TAG names this test's namespaces and links (a few
#                    letters; the script's pid is appended): sets NS_T, NS_I,
#                    VT, VI

fc_net_cleanup() {
	[ -n "${CAP_PID:-}" ] && kill -TERM "$CAP_PID" 2>/dev/null
	tl_cleanup
	ip netns del "$NS_T" 2>/dev/null
	ip netns del "$NS_I" 2>/dev/null
}

fc_net_up() { # tag
	local tag=$1 ns
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		echo "SKIP $TL_NAME: needs root and iproute2 for network namespaces"
		exit 0
	fi
	NS_T=mtgt${tag}T$$
	NS_I=mtgt${tag}I$$
	VT=m${tag}T$$
	VI=m${tag}I$$
	trap fc_net_cleanup EXIT
	# namespaces an earlier run of this test left behind (killed before
	# its trap ran): only ours, only those whose script is gone
	for ns in $(ip netns list 2>/dev/null | awk -v re="^mtgt${tag}[TI][0-9]+\$" '$1 ~ re { print $1 }'); do
		kill -0 "${ns#mtgt${tag}?}" 2>/dev/null || ip netns del "$ns" 2>/dev/null
	done
	if ! ip netns add "$NS_T" 2>/dev/null || ! ip netns add "$NS_I" 2>/dev/null; then
		echo "SKIP $TL_NAME: cannot create network namespaces"
		exit 0
	fi
	ip link add "$VT" netns "$NS_T" mtu 2158 type veth peer name "$VI" netns "$NS_I" mtu 2158 ||
		tl_fail "cannot create the veth pair"
	ip -n "$NS_T" link set lo up && ip -n "$NS_T" link set "$VT" up &&
		ip -n "$NS_I" link set lo up && ip -n "$NS_I" link set "$VI" up ||
		tl_fail "cannot bring the links up"
}
