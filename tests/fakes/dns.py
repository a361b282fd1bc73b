"""A real DNS server on 127.0.0.1 (UDP and TCP, same random port) answering from records the test
configures; Burrow is pointed at it through `settings.DNS_NAMESERVERS`.

    def test_x(fake_dns):
        fake_dns.add("hooks.example.com", "A", "10.0.0.7")
        fake_dns.add("example.com", "TXT", "burrow-verification=abc")
        fake_dns.fail("broken.example.com", "SERVFAIL")   # or "TIMEOUT": the query gets no answer

Names without records answer NXDOMAIN; a name with records of other types answers NOERROR, empty."""

import threading
from collections import defaultdict

import pytest
from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, TXT, A, DNSLabel
from dnslib.server import DNSError, DNSServer

_RDATA = {"A": A, "AAAA": AAAA, "CNAME": CNAME, "TXT": TXT}


class _SilentLogger:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class FakeDNS:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        self._failures: dict[str, str] = {}
        self.queries: list[tuple[str, str]] = []
        self._servers: list[DNSServer] = []
        self.port = 0

    @staticmethod
    def _key(name: str) -> str:
        return str(DNSLabel(name)).lower()

    def add(self, name: str, rtype: str, value: str, ttl: int = 60) -> None:
        if rtype not in _RDATA:
            raise ValueError(f"FakeDNS supports {sorted(_RDATA)}, not {rtype}")
        with self._lock:
            self._records[self._key(name)].append((rtype, value, ttl))

    def set(self, name: str, rtype: str, *values: str) -> None:
        """Replace every `rtype` record of `name`."""
        with self._lock:
            key = self._key(name)
            self._records[key] = [r for r in self._records[key] if r[0] != rtype]
        for value in values:
            self.add(name, rtype, value)

    def fail(self, name: str, how: str = "SERVFAIL") -> None:
        """ "SERVFAIL", "REFUSED" … answer with that rcode; "TIMEOUT" sends no answer at all."""
        with self._lock:
            self._failures[self._key(name)] = how

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._failures.clear()
            self.queries.clear()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolve(self, request, handler):
        """dnslib's resolver interface."""
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        key = self._key(str(qname))
        with self._lock:
            self.queries.append((key.rstrip("."), qtype))
            failure = self._failures.get(key)
            known = key in self._records
        if failure == "TIMEOUT":
            raise DNSError("dropped on purpose")  # the handler then sends nothing
        reply = request.reply()
        if failure:
            reply.header.rcode = getattr(RCODE, failure)
        elif not known:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            for rr in self._answers(key, qtype):
                reply.add_answer(rr)
        return reply

    def _answers(self, name: str, qtype: str) -> list:
        """Matching records, following CNAMEs through this server's own records as a recursor would."""
        answers = []
        for _ in range(8):
            with self._lock:
                records = list(self._records.get(name, []))
            alias = next((value for rtype, value, _ in records if rtype == "CNAME"), None)
            if alias and qtype != "CNAME":
                answers.append(RR(name, QTYPE.CNAME, rdata=CNAME(alias), ttl=60))
                name = self._key(alias)
                continue
            answers += [
                RR(name, getattr(QTYPE, rtype), rdata=_RDATA[rtype](value), ttl=ttl)
                for rtype, value, ttl in records
                if rtype == qtype
            ]
            break
        return answers

    def start(self) -> None:
        for _ in range(20):
            udp = DNSServer(self, address="127.0.0.1", port=0, logger=_SilentLogger())
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(self, address="127.0.0.1", port=port, tcp=True, logger=_SilentLogger())
            except OSError:
                udp.server.server_close()
                continue
            self._servers, self.port = [udp, tcp], port
            for server in self._servers:
                server.start_thread()
            return
        raise RuntimeError("no free port for the fake DNS server")

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()


@pytest.fixture(scope="session")
def fake_dns_server():
    """One server per test run (stopping one takes a poll interval); `fake_dns` empties it per test."""
    server = FakeDNS()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_dns(fake_dns_server, settings):
    """The running FakeDNS, emptied, and Burrow's resolver (burrow.core.dns) pointed at it for this test."""
    fake_dns_server.clear()
    settings.DNS_NAMESERVERS = [fake_dns_server.address]
    yield fake_dns_server
    fake_dns_server.clear()
