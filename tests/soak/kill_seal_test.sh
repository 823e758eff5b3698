#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash soak, seal mode (no netns: openvpn configures its tun and redirect-gateway in its own
# namespace, vpnns keeps the seal table there): SIGKILL of openvpn at random moments of its
# start-up and after it; see kill_lib.sh. openvpn's own exception route to the server outlives
# a killed openvpn (only openvpn could remove it); it is openvpn's, not vpnns's, and not checked.
TEST_NAME=soak-kill-seal
CLIENT_NETNS_LINES=""
source "$(dirname "$0")/kill_lib.sh"

setup_topology
add_default_routes
make_pki
server_conf 'push "redirect-gateway def1"'
client_conf "helper=$HELPER" "connect-retry 0 0" "verb 3"
start_server
kill_soak seal
