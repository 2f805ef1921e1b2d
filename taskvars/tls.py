"""HTTPS settings checked before the server starts, and where plain HTTP is a risk."""

from __future__ import annotations

import ipaddress
import ssl


def check_certificate(certfile: str, keyfile: str) -> None:
    """Load the pair as the server will; raises ``ValueError`` with one line saying what
    is wrong (uvicorn would stop with a traceback)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as error:
        raise ValueError(
            f"cannot use {certfile} and {keyfile} as TLS certificate and key: "
            f"{error.reason or 'not a PEM certificate with its private key'}"
        ) from None
    except OSError as error:
        raise ValueError(
            f"cannot read the TLS certificate {certfile} or key {keyfile}: {error.strerror}"
        ) from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens where no one else can listen in."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: whatever it resolves to may be reachable
