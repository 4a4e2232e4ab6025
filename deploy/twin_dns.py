"""The local twin's stand-in for Docker's embedded DNS: one name (compose's service name, `gateway`)
answered with the A records of every replica, as 127.0.0.11 answers it inside a compose network.
HAProxy's `resolvers docker` asks it (LB_DNS) and fills its server template from the answer.

`answer` is pure (bytes in, bytes out, table-tested in Tests/Deploy/test_twin_dns.py); `TwinDNS`
is the UDP socket around it."""
import socket
import struct
import threading

TYPE_A, CLASS_IN = 1, 1
NOERROR, FORMERR, NXDOMAIN, NOTIMP = 0, 1, 3, 4
TTL = 1  # seconds: the twin's replicas are fixed, but nothing should cache them past a restart
MAX_NAME = 255


def question_end(query: bytes):
    """The offset just past the one question (name, type, class), or None if it is malformed.
    Compression pointers are refused: a query has nothing earlier to point to."""
    offset, length = 12, 0
    while offset < len(query):
        label = query[offset]
        if label == 0:
            offset += 1
            return offset + 4 if offset + 4 <= len(query) and length <= MAX_NAME else None
        if label > 63:
            return None
        length += label + 1
        offset += 1 + label
    return None


def question_name(query: bytes) -> str:
    labels, offset = [], 12
    while query[offset]:
        labels.append(query[offset + 1:offset + 1 + query[offset]].decode("ascii", "replace").lower())
        offset += 1 + query[offset]
    return ".".join(labels)


def answer(query: bytes, name: str, addresses) -> bytes | None:
    """The reply to one DNS query: `name` (any case, with or without the trailing dot) has the A
    records `addresses`, and no other type; other names do not exist (NXDOMAIN). Replies echo the
    question; a reply (QR set) gets no answer (None), anything else malformed FORMERR."""
    if len(query) < 12:
        return None
    ident, flags, questions = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:
        return None
    opcode = flags & 0x7800
    recursion_desired = flags & 0x0100

    def reply(code, question=b"", records=()):
        header_flags = 0x8000 | opcode | 0x0400 | recursion_desired | 0x0080 | code
        return struct.pack("!6H", ident, header_flags, 1 if question else 0, len(records), 0, 0) + question + b"".join(records)

    if opcode != 0:
        return reply(NOTIMP)
    end = question_end(query) if questions == 1 else None
    if end is None:
        return reply(FORMERR)
    question = query[12:end]
    qtype, qclass = struct.unpack("!HH", query[end - 4:end])
    if question_name(query) != name.lower().rstrip("."):
        return reply(NXDOMAIN, question)
    if qtype != TYPE_A or qclass != CLASS_IN:
        return reply(NOERROR, question)
    # Each record names the question's name by a pointer to it (offset 12).
    records = [struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, TTL, 4) + socket.inet_aton(a) for a in addresses]
    return reply(NOERROR, question, records)


class TwinDNS:
    """Answers `name` with `addresses` on a UDP port of 127.0.0.1 (a free one), in a daemon thread."""

    def __init__(self, name: str, addresses):
        self.name, self.addresses = name, list(addresses)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)  # so that close() is seen
        self.closed = threading.Event()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True, name="twin-dns")
        self.thread.start()

    def serve(self):
        while not self.closed.is_set():
            try:
                query, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            response = answer(query, self.name, self.addresses)
            if response is not None:
                try:
                    self.sock.sendto(response, peer)
                except OSError:
                    pass

    def close(self):
        self.closed.set()
        self.thread.join(2)
        self.sock.close()
