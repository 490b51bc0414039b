"""Whether a domain takes mail: its MX records, or else its own address (RFC 5321 §5.1).

The lookup is `resolve()`, one function over dnspython that tests replace: it asks the system's
name servers within a deadline and turns every failure into one of the few errors below.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LookupFailed", "LookupTimedOut", "NoSuchDomain", "Resolver", "resolve"]

# (name, record type, seconds) -> the records' values; MX records as their host names, best
# preference first, where a null MX (RFC 7505) is "".
type Resolver = Callable[[str, str, float], list[str]]


class LookupFailed(Exception):
    """The name servers gave no usable answer."""


class LookupTimedOut(LookupFailed):
    """No answer within the deadline."""


class NoSuchDomain(LookupFailed):
    """The name servers say the domain does not exist (NXDOMAIN)."""


def resolve(name: str, record_type: str, seconds: float) -> list[str]:
    # Imported here: only the e-mail check needs it.
    import dns.exception
    import dns.name
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver()
        resolver.lifetime = seconds
        answer = resolver.resolve(name, record_type)
    except dns.resolver.NXDOMAIN as exc:
        raise NoSuchDomain from exc
    except dns.resolver.NoAnswer:
        return []
    except dns.exception.Timeout as exc:
        raise LookupTimedOut from exc
    except dns.exception.DNSException as exc:
        raise LookupFailed from exc
    if record_type != "MX":
        return [record.to_text() for record in answer]
    ordered = sorted(answer, key=lambda record: record.preference)
    return [
        "" if record.exchange == dns.name.root else record.exchange.to_text(omit_final_dot=True)
        for record in ordered
    ]
