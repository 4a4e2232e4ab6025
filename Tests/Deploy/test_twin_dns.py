"""deploy/twin_dns.py: the local twin's stand-in for Docker's DNS answers its one name with every
replica's address, refuses what is malformed, and serves HAProxy's resolver for real."""
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from haproxy_stats import servers  # noqa: E402
from twin_dns import TwinDNS, answer  # noqa: E402

ADDRESSES = ["127.0.100.1", "127.0.100.2", "127.0.100.3"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(name, qtype=1, qclass=1, ident=0x1234, flags=0x0100, questions=1, extra=b""):
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split(".") if part) + b"\0"
    return struct.pack("!6H", ident, flags, questions, 0, 0, 0) + labels + struct.pack("!HH", qtype, qclass) + extra


def parse(reply):
    """(id, flags, rcode, questions, [A record addresses]) of a reply with the question echoed once."""
    ident, flags, questions, answers, _, _ = struct.unpack("!6H", reply[:12])
    offset = 12
    for _ in range(questions):
        while reply[offset]:
            offset += 1 + reply[offset]
        offset += 5
    addresses = []
    for _ in range(answers):
        pointer, rtype, rclass, ttl, length = struct.unpack("!HHHIH", reply[offset:offset + 12])
        assert pointer == 0xC00C and rtype == 1 and rclass == 1 and length == 4 and ttl >= 1
        addresses.append(socket.inet_ntoa(reply[offset + 12:offset + 16]))
        offset += 16
    assert offset == len(reply), "nothing after the records"
    return ident, flags, flags & 0xF, questions, addresses


@pytest.mark.parametrize("name, qtype, rcode, addresses", [
    ("gateway", 1, 0, ADDRESSES),             # A: every replica
    ("GATEWAY.", 1, 0, ADDRESSES),            # any case, trailing dot
    ("gateway", 28, 0, []),                   # AAAA: the name exists, no IPv6 (as compose's network)
    ("gateway", 33, 0, []),                   # SRV: none (Docker's DNS has none either)
    ("authority", 1, 3, []),                  # another name: NXDOMAIN
    ("gateway.example", 1, 3, []),
    ("gatewa", 1, 3, []),
])
def test_answers(name, qtype, rcode, addresses):
    ident, flags, code, questions, got = parse(answer(query(name, qtype), "gateway", ADDRESSES))
    assert (ident, code, questions, got) == (0x1234, rcode, 1, addresses)
    assert flags & 0x8000 and flags & 0x0400 and flags & 0x0100, "a reply, authoritative, RD echoed"


def test_edns_option_record_is_ignored():
    # HAProxy's accepted_payload_size adds an OPT record (EDNS0) in the additional section.
    opt = b"\0" + struct.pack("!HHIH", 41, 8192, 0, 0)
    q = query("gateway")
    q = q[:10] + struct.pack("!H", 1) + q[12:] + opt
    assert parse(answer(q, "gateway", ADDRESSES))[4] == ADDRESSES


@pytest.mark.parametrize("data, rcode", [
    (b"", None), (b"\0" * 11, None),                               # too short for a header: dropped
    (query("gateway", flags=0x8000), None),                        # a reply: never answered (no loops)
    (query("gateway", flags=0x2800), 4),                           # UPDATE: not implemented
    (query("gateway", questions=2), 1),                            # two questions: FORMERR
    (query("gateway", questions=0), 1),
    (query("gateway")[:-2], 1),                                    # cut inside the type and class
    (query("gateway")[:15], 1),                                    # cut inside the name
    (struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1), 1),   # a pointer loop
    (struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\x40" + b"a" * 64 + b"\0\0\1\0\1", 1),       # a 64-byte label
    (struct.pack("!6H", 1, 0, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1", 1),  # a 320-byte name
])
def test_malformed_queries(data, rcode):
    reply = answer(data, "gateway", ADDRESSES)
    if rcode is None:
        assert reply is None
    else:
        ident, _, code, _, addresses = parse(reply)
        assert code == rcode and addresses == []


def test_haproxy_fills_its_server_template_from_the_twin_dns(tmp_path):
    """deploy/haproxy.cfg against a TwinDNS: each address fills one slot, the rest wait; nothing
    listens on the addresses, so the health checks mark every found server DOWN."""
    dns = TwinDNS("gateway", ADDRESSES)
    stats = str(tmp_path / "lb.sock")
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "LB_BIND": f"127.0.0.1:{free_port()}", "LB_HEALTH_BIND": f"127.0.0.1:{free_port()}",
           "LB_DNS": f"127.0.0.1:{dns.port}", "LB_GATEWAYS": "gateway:1", "LB_GATEWAY_SLOTS": "5",
           "LB_STATS_SOCKET": stats, "TLS_CERT": ""}
    lb = subprocess.Popen(["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        found = {}
        while time.time() < deadline:
            if Path(stats).exists():
                found = servers(stats)
                if sorted(a for a, s in found.values() if s.startswith("DOWN")) == [f"{a}:1" for a in ADDRESSES]:
                    break
            time.sleep(0.1)
        assert sorted(found) == [f"gateway{n}" for n in range(1, 6)], found
        assert sorted(a for a, s in found.values() if s.startswith("DOWN")) == [f"{a}:1" for a in ADDRESSES], found
        assert sum(s.startswith("MAINT") for _, s in found.values()) == 2, found
    finally:
        lb.terminate()
        lb.wait(20)
        dns.close()
