#!/usr/bin/env bash
# Runs a command in a private network namespace whose only addresses are loopback, so that no test, demo or
# benchmark can send a packet anywhere but 127.0.0.0/8: the kernel has no other route.
#
# libwebrtc (Chromium, @livekit/rtc-node) gathers no ICE candidates from a loopback-flagged interface, so the
# namespace also gets a veth pair carrying 127.0.0.2/32: WebRTC peers then offer 127.0.0.2, LiveKit offers
# 127.0.0.1, and every media packet stays on loopback addresses. IPv6 is off on the pair (no link-local
# candidates).
#
# Needs root (CI and developer machines of this project run as root). SCREENSHARE_NO_NETNS=1 runs the command
# as is, for machines where namespaces are not allowed; LiveKit is still bound to 127.0.0.1 then, but WebRTC
# peers may offer this machine's other addresses.
set -euo pipefail
if [ "${SCREENSHARE_NO_NETNS:-}" = 1 ] || [ "${SCREENSHARE_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
exec unshare --net -- env SCREENSHARE_IN_NETNS=1 bash -c '
  set -euo pipefail
  ip link set lo up
  ip link add ss-peer0 type veth peer name ss-peer1
  for dev in ss-peer0 ss-peer1; do
    sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    ip link set "$dev" up
  done
  ip addr add 127.0.0.2/32 dev ss-peer0
  exec "$@"
' loopback-netns "$@"
