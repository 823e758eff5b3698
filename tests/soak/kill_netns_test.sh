#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash soak, netns mode (with seal=yes, so openvpn's namespace holds a vpnns table too): SIGKILL
# of openvpn at random moments of its start-up and after it; see kill_lib.sh.
TEST_NAME=soak-kill-netns
source "$(dirname "$0")/kill_lib.sh"

setup_topology
make_pki
server_conf
client_conf "netns=$NS_VPN seal=yes helper=$HELPER" "connect-retry 0 0" "verb 3"
start_server
kill_soak netns
