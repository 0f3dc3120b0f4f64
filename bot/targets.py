"""Which addresses outbound HTTP may reach (callback URLs, webhook and CRM targets), and a transport that holds to it.

Agents choose their callback_url, so without a check the service would POST wherever an agent asks and tell it
how that went: a probe of the network it runs in. By default only public addresses are reached. Every request
(including any redirect a caller follows) is resolved here, each resolved address is checked, and the connection
goes to that checked address while Host and TLS SNI keep the name: a DNS answer that changes between the check
and the connect (rebinding) cannot move the request elsewhere.

COUNTERSIGN_ALLOWED_TARGETS lists what an operator means to allow anyway: CIDRs (10.0.0.0/8, 127.0.0.1) or exact
host names (hooks.internal), comma-separated.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

REFUSED_REASON = (
    "is not an allowed target: it resolves to a loopback, private, link-local or metadata address "
    "(an operator can allow it with COUNTERSIGN_ALLOWED_TARGETS)"
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?$")


class TargetRefused(Exception):
    """The host resolves to no address this service may reach (the message is fixed: no address, no detail)."""

    def __init__(self, host: str) -> None:
        super().__init__(REFUSED_REASON)
        self.host = host


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped ::ffff:a.b.c.d, 6to4, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True for globally routable unicast addresses: not loopback, private, link-local (cloud metadata lives at
    169.254.169.254), unique-local, shared, reserved, unspecified (0.0.0.0/8 reaches this host) or multicast."""
    inner = _embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    return ip.is_global and not ip.is_multicast


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class TargetRules:
    """Public addresses, plus the networks and host names an operator allowed."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(cls, text: str) -> TargetRules:
        """From COUNTERSIGN_ALLOWED_TARGETS; ValueError names the entry that is neither a CIDR nor a host name."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_NAME.match(entry) or entry.replace(".", "").isdigit():
                raise ValueError(f"{raw.strip()!r} is neither an address, a CIDR (10.0.0.0/8) nor a host name")
            hosts.add(entry.rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, ip: IPAddress) -> bool:
        """True when this address may be reached."""
        inner = _embedded_ipv4(ip)
        candidates = [ip] if inner is None else [ip, inner]
        if any(c in net for c in candidates for net in self.networks if c.version == net.version):
            return True
        return is_public(ip)

    def address_for(self, host: str, port: int) -> str:
        """The address to connect to for host: the first allowed one it resolves to; TargetRefused if none.

        An allowed host name is trusted whatever it resolves to (the operator named it). DNS failures raise
        OSError (socket.gaierror), which callers treat like any connection failure."""
        name = host.strip("[]").lower().rstrip(".")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            if self.allows(literal):
                return str(literal)
            raise TargetRefused(host)
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(name, port)]
        if name in self.hosts and addresses:
            return str(addresses[0])
        for address in addresses:
            if self.allows(address):
                return str(address)
        raise TargetRefused(host)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request's host against the rules and connects to the checked address.

    The URL's host is replaced by the address; the Host header (set from the original URL) and the TLS server
    name (sni_hostname, which is also what the certificate is verified against) keep the name."""

    def __init__(self, rules: TargetRules, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rules = rules

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address = self.rules.address_for(url.host, port)
        except OSError as exc:  # name resolution failed
            raise httpx.ConnectError(f"cannot resolve {url.host}: {exc}", request=request) from exc
        if address != url.host:
            request.extensions = {**request.extensions, "sni_hostname": url.host}
            request.url = url.copy_with(host=address)
        return super().handle_request(request)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write waits at most until the call's deadline (httpx's own timeouts are per
    operation: a target answering one byte every few seconds would never trip them)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self.inner, self.deadline = inner, deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("the call's total deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Connects like httpcore's own backend, with streams bounded by one deadline."""

    def __init__(self, deadline: float) -> None:
        self.inner, self.deadline = httpcore.SyncBackend(), deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the call's total deadline passed")
        stream = self.inner.connect_tcp(
            host, port, left if timeout is None else min(timeout, left), local_address, socket_options
        )
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise httpcore.ConnectError("unix sockets are not targets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def client(rules: TargetRules, *, timeout: float) -> httpx.Client:
    """A client for one outbound call: pinned and checked, redirects not followed (a 3xx is a failed delivery),
    proxy variables ignored (a proxy would resolve the name itself, after the check). The whole call (connect,
    request, response headers and body) must end within `timeout` seconds of the client being built."""
    transport = PinnedTransport(rules)
    # httpx builds its connection pool with httpcore's default backend; this one enforces the total deadline.
    transport._pool._network_backend = _DeadlineBackend(time.monotonic() + timeout)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)


def status_phrase(code: int) -> str:
    """The standard phrase for a status code: what failed deliveries report, never the target's own text."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "(non-standard status)"
