# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reading a server's client sets and comparing them with what a test expects (server_sets_test.sh,
# server_multisocket_test.sh). The test defines SETS (the short names), REF_OF (short name →
# "FAMILY TABLE SET"), SUMMARY_SETS (the sets a pass line shows) and expected SET (the members it
# expects, one per line, sorted); this file gives members, sets_exact, sets_empty and
# assert_exact.

# members SET: the set's members as the kernel holds them, one per line, sorted. (An element
# with a comment — vpnns's owner tag "vpnns:INSTANCE" — is {"elem": {"val": ..., "comment": ...}}.)
members() {
  # shellcheck disable=SC2086 # REF_OF holds "FAMILY TABLE SET"
  in_ns "$NS_SRV" nft -j list set ${REF_OF[$1]} | jq -r '
    .nftables[] | select(.set) | (.set.elem // [])[] |
    if type == "object" and has("elem") then .elem.val else . end |
    if type == "string" then .
    elif type == "object" and has("prefix") then "\(.prefix.addr)/\(.prefix.len)"
    elif type == "object" and has("range") then "\(.range[0])-\(.range[1])"
    else tojson end' | sort
}

# owners SET: each member with its comment ("-" for none), one "MEMBER COMMENT" per line, sorted.
owners() {
  # shellcheck disable=SC2086 # REF_OF holds "FAMILY TABLE SET"
  in_ns "$NS_SRV" nft -j list set ${REF_OF[$1]} | jq -r '
    .nftables[] | select(.set) | (.set.elem // [])[] |
    (if type == "object" and has("elem") then [.elem.val, (.elem.comment // "-")] else [., "-"] end) |
    (.[0] | if type == "string" then . elif has("prefix") then "\(.prefix.addr)/\(.prefix.len)"
            else tojson end) + " " + .[1]' | sort
}

# expected SET: what SET must hold for the clients marked UP.

MISMATCH=""
sets_exact() {
  local set got want
  MISMATCH=""
  for set in "${SETS[@]}"; do
    got=$(members "$set" | tr '\n' ' ')
    want=$(expected "$set" | tr '\n' ' ')
    [ "$got" = "$want" ] || MISMATCH+=$'\n'"  ${REF_OF[$set]}: holds [ $got] expected [ $want]"
  done
  [ -z "$MISMATCH" ]
}

sets_empty() {
  local set
  MISMATCH=""
  for set in "${SETS[@]}"; do
    [ -z "$(members "$set")" ] || MISMATCH+=$'\n'"  ${REF_OF[$set]}: [ $(members "$set" | tr '\n' ' ')]"
  done
  [ -z "$MISMATCH" ]
}

# assert_exact WHAT SECONDS: events reach the helper asynchronously to the clients' logs.
assert_exact() {
  wait_for "$2" sets_exact || fail "$1: the sets are not exact:$MISMATCH"
  # ... and they stay so (openvpn's own late learn-address deletes must not disturb them).
  sleep 0.5
  sets_exact || fail "$1: the sets were exact, then changed:$MISMATCH"
  local set summary=""
  for set in "${SUMMARY_SETS[@]}"; do
    summary+=" $set={$(members "$set" | tr '\n' ' ' | sed 's/ $//')}"
  done
  pass "$1: every set exact;$summary"
}
