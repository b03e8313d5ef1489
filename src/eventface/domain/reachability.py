"""Can guests' phones open a link? Not when it names this computer or a private network.

Shared by the event page (a warning beside the QR code) and `eventface doctor`. Only the link's
text is looked at: a public name whose DNS answer is a private address is not caught.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# names that only resolve on this machine or inside a home or office network (RFC 6761, 6762, 8375)
LOCAL_NAME_SUFFIXES = (".localhost", ".local", ".lan", ".home.arpa", ".internal", ".localdomain")


def unreachable_host(url: str) -> str | None:
    """The link's host when a phone on the internet cannot reach it, else None.

    Loopback (127.0.0.1, ::1, `localhost`), private, link-local, shared (CGNAT) and other
    non-global addresses, `.local`-style names and single-label names ("myserver") count.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return url or "(no address)"
    return host if _local_only(host) else None


def _local_only(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(LOCAL_NAME_SUFFIXES) or "." not in host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global
