#!/usr/bin/env python3
"""Time to first byte of a streamed chat completion on kept-alive connections, as an SDK's
connection pool sends them: one connection per port on 127.0.0.1, and ROUNDS rounds that ask
every port once in turn, each round starting one port further on. Prints the median, in ms, for
each port in the order given. The client's own time is in every figure alike, so only the
differences between ports mean anything.

Usage: ttfb_keepalive.py ROUNDS PORT...
"""
import socket
import statistics
import sys
import time

WARM_UP_ROUNDS = 20
BODY = b'{"model":"bench","messages":[{"role":"user","content":"hi"}],"stream":true}'
REQUEST = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/json\r\nAuthorization: Bearer bench\r\n"
           b"Content-Length: %d\r\n\r\n" % len(BODY)) + BODY


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def receive(sock):
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection mid-response")
    return data


def read_rest(sock, data):
    """Reads the rest of a response whose first bytes are `data`; true if the server closes."""
    while b"\r\n\r\n" not in data:
        data += receive(sock)
    head, body = data.split(b"\r\n\r\n", 1)
    head = head.lower()
    if b"\r\ncontent-length:" in head:
        length = int(head.split(b"\r\ncontent-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += receive(sock)
    elif b"\r\ntransfer-encoding: chunked" in head:
        while not body.endswith(b"\r\n0\r\n\r\n"):
            body += receive(sock)
    else:
        raise ValueError("a response without a length: " + head.decode(errors="replace"))
    if not head.startswith(b"http/1.1 200"):
        raise ValueError("not a 200: " + head.decode(errors="replace"))
    return b"\r\nconnection: close" in head


def main():
    rounds, ports = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
    sockets = [connect(p) for p in ports]
    times = [[] for _ in ports]
    for r in range(WARM_UP_ROUNDS + rounds):
        for k in range(len(ports)):
            i = (r + k) % len(ports)
            start = time.perf_counter()
            sockets[i].sendall(REQUEST)
            first = receive(sockets[i])
            took = time.perf_counter() - start
            if read_rest(sockets[i], first):  # nginx closes after keepalive_requests (1000)
                sockets[i].close()
                sockets[i] = connect(ports[i])
            if r >= WARM_UP_ROUNDS:
                times[i].append(took * 1000)
    for t in times:
        print("%.3f" % statistics.median(t))


if __name__ == "__main__":
    main()
