#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# forward_test.sh's small network tools (loopback only):
#   udp-echo PORT            echoes datagrams on 127.0.0.1:PORT, prefixed "echo:", for 60 s
#   udp-ask PORT TEXT        sends TEXT to 127.0.0.1:PORT, prints the answer (1 s timeout)
#   sink PORT                accepts connections on 127.0.0.1:PORT for 60 s; on each, reads until
#                            the end of stream and answers with the byte count
#   push PORT BYTES          sends BYTES to 127.0.0.1:PORT, shuts its side down, prints the
#                            answer (5 s timeout)
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
elif cmd == "sink":
    l = socket.create_server(("127.0.0.1", int(sys.argv[2])))
    l.settimeout(60)
    try:
        while True:
            c, _ = l.accept()
            n = 0
            while True:
                data = c.recv(1 << 20)
                if not data:
                    break
                n += len(data)
            c.sendall(str(n).encode())
            c.close()
    except socket.timeout:
        pass
elif cmd == "push":
    c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    c.settimeout(5)
    block = b"x" * (1 << 20)
    left = int(sys.argv[3])
    while left > 0:
        c.sendall(block[:left])
        left -= min(left, len(block))
    c.shutdown(socket.SHUT_WR)
    try:
        print(c.recv(100).decode() or "no answer")
    except socket.timeout:
        print("no answer within 5 s")
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
