"""Which network addresses a feed fetch may reach: the public internet, and nothing inside.

A logged-in user adds feeds, and a feed names the pages fetched next: without this check,
``http://169.254.169.254/latest/meta-data/`` (a cloud's credentials), ``http://127.0.0.1:6379/``
or any intranet host would be fetched by the server and its reply indexed for everyone to
read. So every host is resolved once, every address it resolves to is checked, and the
connection is then made to that checked address (``fetch._connect``), never to what a second
lookup says: a name that resolves inside, or that changes between the check and the
connection (DNS rebinding), is refused.

Refused unless ``NEWSDESK_FEED_ALLOW_NETWORKS`` lists the network: loopback, private,
link-local, carrier-grade NAT (100.64/10), multicast, reserved and unspecified addresses,
IPv4 and IPv6 (an IPv4 address inside IPv6, ``::ffff:127.0.0.1``, is judged as the IPv4 one),
however spelled (``2130706433``, ``0x7f.1``, ``0177.0.0.1`` and ``127.1`` are 127.0.0.1, as
the C library reads them).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable, Sequence

from embeddings import InvalidInputError

from .errors import AddressRefusedError

ALLOW_SETTING = "NEWSDESK_FEED_ALLOW_NETWORKS"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: neither private nor global
# IPv6 prefixes that carry an IPv4 address a gateway would reach for us (NAT64, 6to4): the
# IPv4 inside decides. ``is_global`` calls these global on Python 3.11.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Address:
    """One checked address to connect to: ``socket.socket(family)`` then ``connect(sockaddr)``."""

    family: int
    sockaddr: tuple
    ip: IP


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """The networks of ``NEWSDESK_FEED_ALLOW_NETWORKS``: CIDR networks separated by commas
    (``"127.0.0.0/8,10.1.0.0/16"``); a bare address is that one address. Empty: none.

    Raises:
        InvalidInputError: an entry is not a network, naming the setting and the entry.
    """
    words = text.split(",") if isinstance(text, str) else list(text)
    networks = []
    for word in (w.strip() for w in words):
        if not word:
            continue
        try:
            networks.append(ipaddress.ip_network(word))
        except ValueError as exc:
            raise InvalidInputError(
                f"{ALLOW_SETTING}: {word[:80]!r} is not a network ({exc}); write CIDR networks separated by "
                "commas, e.g. 127.0.0.0/8,10.1.0.0/16, or leave it empty to fetch from the public internet only"
            ) from None
    return tuple(networks)


def as_networks(allowed: str | Iterable[Network]) -> tuple[Network, ...]:
    """The allow-list as networks, from the setting's text or networks already parsed."""
    return parse_networks(allowed) if isinstance(allowed, str) else tuple(allowed)


def address_kind(ip: IP) -> str:
    """What makes ``ip`` an address inside the network ("a loopback address"), or "" for a
    public one."""
    ip = plain_ip(ip)
    if isinstance(ip, ipaddress.IPv6Address):
        inside = _embedded_ipv4(ip)
        if inside is not None and address_kind(inside):
            return f"{address_kind(inside)} inside an IPv6 address"
    checks = (("is_unspecified", "the unspecified address (it reaches this machine)"),
              ("is_loopback", "a loopback address"), ("is_link_local", "a link-local address"),
              ("is_multicast", "a multicast address"))  # multicast: is_global says True
    for attribute, kind in checks:
        if getattr(ip, attribute):
            return kind
    if ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved:  # before is_private, which counts 240.0.0.0/4 in too
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return ""


def is_allowed(ip: IP, allowed: Sequence[Network]) -> bool:
    ip = plain_ip(ip)
    return any(ip.version == net.version and ip in net for net in allowed) or not address_kind(ip)


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` stands for, in the resolver's order.

    An IP literal is itself; the old numeric spellings (``2130706433``, ``0x7f.1``,
    ``127.1``) are read as ``inet_aton`` reads them, as the resolver would; anything else
    is asked of the resolver (``socket.getaddrinfo``, looked up at call time so tests can
    stand in for DNS).

    Raises:
        socket.gaierror: the name does not resolve.
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    ip = _literal(bare)
    if ip is not None:
        return [_address(ip, port)]
    found, addresses = set(), []
    for family, _, _, _, sockaddr in socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in found:
            found.add(ip)
            addresses.append(Address(family, sockaddr, ip))
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no IPv4 or IPv6 address")
    return addresses


def vetted(host: str, port: int, allowed: Sequence[Network]) -> list[Address]:
    """``resolve(host, port)``, when every address is outside the network or in ``allowed``.

    Every address, not just the first: a name that resolves both outside and inside would
    otherwise reach inside whenever the outside one fails to connect.

    Raises:
        AddressRefusedError: an address is inside the network; the message names the host, the
            address, what kind it is and the setting that opens it.
        socket.gaierror: the name does not resolve.
    """
    addresses = resolve(host, port)
    for address in addresses:
        if not is_allowed(address.ip, allowed):
            raise AddressRefusedError(refusal(host, address.ip))
    return addresses


def refusal(host: str, ip: IP) -> str:
    shown, bare = plain_ip(ip), host.strip("[]")
    if bare == str(shown):
        said = f"{host} is {address_kind(shown)}"
    elif _literal(bare) is not None:  # "2130706433 is 127.0.0.1, a loopback address"
        said = f"{host} is {shown}, {address_kind(shown)}"
    else:
        said = f"{host} resolves to {shown}, {address_kind(shown)}"
    return (f"refused: {said}; Newsdesk does not fetch from inside the network unless {ALLOW_SETTING} "
            "lists it")


def _literal(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host.split("%")[0] if ":" in host else host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:  # "2130706433", "0x7f.1", "0177.0.0.1", "127.1": what connect() would reach
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None  # "cafe.be": a name
    return None


def _address(ip: IP, port: int) -> Address:
    if isinstance(ip, ipaddress.IPv4Address):
        return Address(socket.AF_INET, (str(ip), port), ip)
    return Address(socket.AF_INET6, (str(ip), port, 0, 0), ip)


def plain_ip(ip: IP) -> IP:
    """``::ffff:127.0.0.1`` as the ``127.0.0.1`` it reaches."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None
