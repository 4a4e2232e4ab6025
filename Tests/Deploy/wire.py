"""Raw bytes to the twin's ports, for what no HTTP or WebSocket library would send or show: a plain
request to a TLS port, a PROXY protocol header, a connection from another loopback address."""
import socket
import struct


def exchange(port, data, source="127.0.0.1", host="127.0.0.1"):
    """Sends `data` on a new connection from `source` to `host` and returns everything the peer
    sends until it closes (b"" when it closes or resets without answering)."""
    reply = b""
    try:
        with socket.create_connection((host, port), timeout=30, source_address=(source, 0)) as sock:
            sock.sendall(data)
            while chunk := sock.recv(4096):
                reply += chunk
    except ConnectionResetError:
        pass
    return reply


def http_status(port, path="/healthz", source="127.0.0.1"):
    """GET `path` on a new connection: the status code, or "closed" when there is no HTTP answer."""
    reply = exchange(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(), source)
    return reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "closed"


def proxy_v2_header(source, source_port, destination, destination_port):
    """A PROXY protocol v2 header (PROXY command, TCP over IPv4), as HAProxy's send-proxy-v2 writes it."""
    addresses = socket.inet_aton(source) + socket.inet_aton(destination) + struct.pack("!HH", source_port, destination_port)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses)) + addresses
