#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# forward_test.sh's small network tools (loopback only):
#   udp-echo PORT            echoes datagrams on 127.0.0.1:PORT, prefixed "echo:", for 60 s
#   udp-ask PORT TEXT        sends TEXT to 127.0.0.1:PORT, prints the answer (1 s timeout)
#   idle PORT SECONDS        opens a connection, sends nothing, and prints "closed" if it is closed
#                            within SECONDS, else "open"
#   hold PORT N              opens N connections to 127.0.0.1:PORT, sends a GET on each, then
#                            prints per connection "open" (no answer or data) or "closed" (EOF or
#                            reset within 1 s)
import socket
import sys
import time

cmd = sys.argv[1]
if cmd == "udp-echo":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[2])))
    s.settimeout(60)
    try:
        while True:
            data, peer = s.recvfrom(65536)
            s.sendto(b"echo:" + data, peer)
    except socket.timeout:
        pass
elif cmd == "udp-ask":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(sys.argv[3].encode(), ("127.0.0.1", int(sys.argv[2])))
    try:
        print(s.recvfrom(65536)[0].decode())
    except (socket.timeout, ConnectionRefusedError) as e:
        print("no answer: %s" % e)
        sys.exit(1)
elif cmd == "idle":
    c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    c.settimeout(float(sys.argv[3]))
    try:
        print("open" if c.recv(1) else "closed")
    except socket.timeout:
        print("open")
    except ConnectionResetError:
        print("closed")
elif cmd == "hold":
    conns = []
    for _ in range(int(sys.argv[3])):
        c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
        conns.append(c)
        time.sleep(0.1)
    time.sleep(0.3)
    for c in conns:
        c.settimeout(0.7)
        try:
            data = c.recv(1)
            print("open" if data else "closed")
        except socket.timeout:
            print("open")
        except ConnectionResetError:
            print("closed")
