"""What HAProxy thinks of its gateways, from its stats socket (LB_STATS_SOCKET in deploy/haproxy.cfg):
the local twin waits on it, and the tests check which replicas the server template found and what
the health checks made of them. `python3 deploy/haproxy_stats.py SOCKET` prints them."""
import csv
import io
import socket
import sys


def show_stat(socket_path: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(socket_path)
        sock.sendall(b"show stat\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def servers(socket_path: str, backend: str = "gateways"):
    """{server: (address, status)} of one backend's servers, e.g. {"gateway1": ("127.0.100.1:40123", "UP")};
    slots of the server template that no address fills have status "MAINT (resolution)"."""
    text = show_stat(socket_path).lstrip("# ")
    result = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND"):
            result[row["svname"]] = (row.get("addr") or "", row["status"])
    return result


def up_addresses(socket_path: str, backend: str = "gateways"):
    """The addresses of the servers the health checks find up."""
    return {address for address, status in servers(socket_path, backend).values() if status.startswith("UP")}


if __name__ == "__main__":
    for name, (address, status) in servers(sys.argv[1]).items():
        print(f"{name:12} {address or '-':24} {status}")
