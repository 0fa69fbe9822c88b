"""Which addresses validation may fetch certificates, CRLs and OCSP responses from.

A certificate names where its issuer, revocation list and OCSP responder live (authority
information access, CRL distribution points). Whoever uploads a PDF chooses those
certificates, so without a rule an upload makes the server send requests to any address it
likes, internal ones included, and wait for them. Every fetch of validation goes through
`guarded_fetcher_backend()`, which holds it to a `FetchPolicy`:

- only URLs the policy allows: a URL prefix (`http://ca.example.vn/crl/`), a host with an
  optional port (`ocsp.ca.example.vn`, `ca.example.vn:8080`: http and https on it), or every
  subdomain of a domain (`*.ca.example.vn`); nothing else is even resolved;
- the host's name is resolved once, every address it resolves to is checked, and the
  connection goes to those checked addresses (a second lookup cannot swap in another);
  a private, loopback, link-local, multicast, reserved or otherwise non-public address is
  refused unless that exact host was named by the deployment (`internal_hosts`: a test PKI
  on the loopback, a CA inside the network);
- every hop of a redirect is held to the same rules, so a redirect from an allowed host to
  anywhere else is refused;
- fetching ends a little before the network budget does (signing.pdf.network), so a slow
  server costs at most the budget and the verdict still has time to say that revocation
  could not be checked.

A refused or failed fetch is a failed fetch for pyHanko: the certificate's revocation status
(or its chain) is unknown, never a crash. The policy is opened around the work
(`with fetch_policy(policy): ...`, done by SigningSetup); without one nothing is fetched.
"""

import functools
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

import aiohttp
import certifi
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver
from asn1crypto import x509
from pyhanko_certvalidator import errors as certvalidator_errors
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.cert_fetch_client import (
    AIOHttpCertificateFetcher,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.crl_client import AIOHttpCRLFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.ocsp_client import AIOHttpOCSPFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.api import Fetchers, FetchLimits
from pyhanko_certvalidator.fetchers.common_utils import FetchBudget
from pyhanko_certvalidator.util import issuer_serial
from yarl import URL

from partnerships.signing.pdf import ocsp_reuse
from partnerships.signing.pdf.network import seconds_left

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Share of the network budget left to validation itself once fetching has given up.
VALIDATION_SHARE = 0.2
# Fetches one document's validation may make (pyHanko's defaults are 1,000 and 200).
LIMITS = FetchLimits(max_requests=50, max_cert_requests=20, max_aia_urls_per_object=4)


class FetchRefused(aiohttp.ClientConnectionError):
    """The policy does not allow this fetch (for pyHanko: a failed fetch like any other)."""


# --- The policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    scheme: str | None  # None: http or https
    host: str  # lowercase, IDNA-encoded; "*.example.vn" for subdomains
    port: int | None  # None: the scheme's default port
    path: str  # a prefix of the path ("/" for any)

    @property
    def wildcard(self) -> bool:
        return self.host.startswith("*.")

    def matches(self, url: URL) -> bool:
        scheme, host = (url.scheme or "").lower(), (url.raw_host or "").lower().rstrip(".")
        if scheme not in _DEFAULT_PORTS or (self.scheme and scheme != self.scheme):
            return False
        if self.wildcard:
            if not host.endswith(self.host[1:]):
                return False
        elif host != self.host:
            return False
        if url.port != (self.port or _DEFAULT_PORTS[scheme]):
            return False
        return (url.raw_path or "/").startswith(self.path)


def _rule(entry: str) -> _Rule | None:
    entry = entry.strip()
    if not entry:
        return None
    if "://" in entry:
        url = URL(entry)
        scheme = url.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not url.raw_host:
            raise ValueError(f"Not an http(s) URL prefix: {entry!r}")
        port = url.explicit_port
        return _Rule(scheme, url.raw_host.lower().rstrip("."), port, url.raw_path or "/")
    wildcard = entry.startswith("*.")
    url = URL(f"http://{entry[2:] if wildcard else entry}/")
    if not url.raw_host or url.raw_path != "/":
        raise ValueError(f"Not a host name: {entry!r}")
    host = url.raw_host.lower().rstrip(".")
    return _Rule(None, f"*.{host}" if wildcard else host, url.explicit_port, "/")


@dataclass(frozen=True)
class FetchPolicy:
    """What validation may fetch. `allowed`: URL prefixes, hosts (with a port) and `*.domain`
    entries; `internal_hosts`: the hosts that may resolve to non-public addresses (only
    exact hosts named by the deployment belong here)."""

    rules: tuple[_Rule, ...] = ()
    internal_hosts: frozenset = frozenset()

    @classmethod
    def of(cls, allowed: Iterable[str] = (), *, internal: bool = False) -> "FetchPolicy":
        """The policy allowing `allowed`; with `internal`, their exact hosts may be
        internal addresses (for entries the deployment wrote itself)."""
        rules = tuple(rule for rule in map(_rule, allowed) if rule is not None)
        internal_hosts = frozenset(r.host for r in rules if internal and not r.wildcard)
        return cls(rules, internal_hosts)

    @property
    def fetches_anything(self) -> bool:
        return bool(self.rules)

    def allows(self, url: URL | str) -> bool:
        url = URL(url) if isinstance(url, str) else url
        return any(rule.matches(url) for rule in self.rules)

    def may_be_internal(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.internal_hosts

    def check_address(self, host: str, address: str) -> None:
        """FetchRefused unless `address` (one that `host` resolved to) may be contacted."""
        if not is_public(address) and not self.may_be_internal(host):
            raise FetchRefused(f"{host} resolves to a non-public address")


def is_public(address: str) -> bool:
    """Is `address` a globally routable unicast address (not private, loopback, link-local,
    multicast, reserved, shared or unspecified, nor one of those wrapped in IPv6)?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def urls_named_by(certificates: Iterable[x509.Certificate]) -> list[str]:
    """The http(s) URLs certificates name for their issuer, CRLs and OCSP responders."""
    urls = []
    for cert in certificates:
        try:
            urls += cert.ocsp_urls
            for access in cert.authority_information_access_value or []:
                location = access["access_location"]
                if access["access_method"].native == "ca_issuers" and (
                    location.name == "uniform_resource_identifier"
                ):
                    urls.append(location.native)
            for point in cert.crl_distribution_points + cert.delta_crl_distribution_points:
                urls += [point.url] if point.url else []
        except (ValueError, KeyError, TypeError):  # a malformed extension names nothing
            continue
    return [u for u in urls if URL(u).scheme in _DEFAULT_PORTS and URL(u).raw_host]


def hosts_of(urls: Iterable[str]) -> list[str]:
    """`scheme://host:port/` of each URL: what a CA's endpoint allows."""
    found = []
    for url in map(URL, urls):
        prefix = f"{url.scheme}://{url.raw_host}:{url.port}/"
        if prefix not in found:
            found.append(prefix)
    return found


# The policy of the work under way; none at all refuses every fetch.
_policy: ContextVar[FetchPolicy | None] = ContextVar("signing_fetch_policy", default=None)
_NOTHING = FetchPolicy()


@contextmanager
def fetch_policy(policy: FetchPolicy) -> Iterator[None]:
    """Validation inside fetches only what `policy` allows."""
    token = _policy.set(policy)
    try:
        yield
    finally:
        _policy.reset(token)


def current_policy() -> FetchPolicy:
    return _policy.get() or _NOTHING


# --- The connection ---------------------------------------------------------------------------


class _CheckedResolver(AbstractResolver):
    """Resolves a name once and hands out only addresses the policy allows."""

    def __init__(self, policy: FetchPolicy):
        self._policy = policy
        self._resolver = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family=socket.AF_INET):
        resolved = await self._resolver.resolve(host, port, family=family)
        for address in resolved:
            self._policy.check_address(host, address["host"])
        return resolved

    async def close(self) -> None:
        await self._resolver.close()


class _GuardedConnector(aiohttp.TCPConnector):
    """Every connection (each hop of a redirect too) to an allowed URL, at checked
    addresses only."""

    def __init__(self, policy: FetchPolicy, **kwargs):
        super().__init__(resolver=_CheckedResolver(policy), **kwargs)
        self._policy = policy

    async def connect(self, req, traces, timeout):
        if not self._policy.allows(req.url):
            logger.info("Refused to fetch %s: not an allowed CA address", req.url)
            raise FetchRefused(f"{req.url} is not an allowed CA address")
        host = (req.url.raw_host or "").strip("[]")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass  # a name: the resolver checks what it resolves to
        else:
            self._policy.check_address(host, host)  # an address: not resolved, checked here
        return await super().connect(req, traces, timeout)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """certifi's roots for https fetches, loaded once per process (loading them took a
    tenth of a verification). Its settings are never changed after this."""
    return ssl.create_default_context(cafile=certifi.where())


class _GuardedSession(LazySession):
    def __init__(self, policy: FetchPolicy):
        super().__init__()
        self._policy = policy

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=_GuardedConnector(self._policy, ssl=_ssl_context()),
                trust_env=False,  # no proxy from the environment
            )
        return self._session


# --- The fetchers -------------------------------------------------------------------------------


class _WithinDeadline:
    """A fetcher whose every request waits at most until `deadline` (time.monotonic()), and
    whose time-out is a failed fetch (pyHanko expects its fetch errors, not TimeoutError)."""

    deadline: float = 0.0

    @property
    def per_request_timeout(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    @per_request_timeout.setter
    def per_request_timeout(self, _value) -> None:
        pass  # set by pyHanko's constructor; the deadline decides


# Certificates (issuer and serial) whose OCSP or CRL fetch failed or was refused in the
# current validation (a fresh set per validation context, shared with its fetch tasks).
_unchecked: ContextVar[set | None] = ContextVar("signing_revocation_unchecked", default=None)


def _note_unchecked(cert) -> None:
    unchecked = _unchecked.get()
    if unchecked is not None:
        unchecked.add(issuer_serial(cert))


def revocation_unchecked(status) -> bool:
    """Did pyHanko fail this signature's chain because the revocation status of one of its
    certificates could not be fetched (refused, failed or out of time)? pyHanko reports that
    as a general chain failure; the verdict says it as "revocation could not be checked"."""
    unchecked = _unchecked.get()
    if not unchecked:
        return False
    path = getattr(status, "validation_path", None)
    certificates = [getattr(status, "signing_cert", None)]
    with suppress(Exception):  # a partial path: the signer's certificate alone then
        certificates += list(path.iter_certs(include_root=False)) if path is not None else []
    return any(c is not None and issuer_serial(c) in unchecked for c in certificates)


class _OCSPFetcher(_WithinDeadline, AIOHttpOCSPFetcher):
    async def _fetch(self, cert, authority):
        # Verifying, a recent answer to the same question, fetched here, is reused
        # (ocsp_reuse.py); signing always asks.
        if not ocsp_reuse.active():
            return await super()._fetch(cert, authority)
        answer_key = ocsp_reuse.key(cert, authority)
        answer = ocsp_reuse.kept(answer_key)
        if answer is None:
            answer = await super()._fetch(cert, authority)
            ocsp_reuse.keep(answer_key, answer)
        return answer

    async def fetch(self, cert, authority):
        try:
            return await super().fetch(cert, authority)
        except TimeoutError as exc:
            _note_unchecked(cert)
            raise certvalidator_errors.OCSPFetchError("OCSP responder did not answer") from exc
        except Exception:
            _note_unchecked(cert)
            raise


class _CRLFetcher(_WithinDeadline, AIOHttpCRLFetcher):
    async def fetch(self, cert, *, use_deltas=True):
        try:
            return await super().fetch(cert, use_deltas=use_deltas)
        except TimeoutError as exc:
            _note_unchecked(cert)
            raise certvalidator_errors.CRLFetchError("CRL server did not answer") from exc
        except Exception:
            _note_unchecked(cert)
            raise


class _CertificateFetcher(_WithinDeadline, AIOHttpCertificateFetcher):
    async def fetch_certs(self, url, url_origin_type):
        try:
            return await super().fetch_certs(url, url_origin_type)
        except TimeoutError as exc:
            raise certvalidator_errors.CertificateFetchError(
                "Certificate server did not answer"
            ) from exc


class GuardedFetcherBackend(AIOHttpFetcherBackend):
    """pyHanko's aiohttp fetchers, held to `policy` and to `deadline`."""

    def __init__(self, policy: FetchPolicy, deadline: float):
        super().__init__(_GuardedSession(policy), limits=LIMITS)
        self.deadline = deadline

    def get_fetchers(self) -> Fetchers:
        budget = FetchBudget(self.limits)
        fetchers = Fetchers(
            ocsp_fetcher=_OCSPFetcher(self.session, budget=budget),
            crl_fetcher=_CRLFetcher(self.session, budget=budget),
            cert_fetcher=_CertificateFetcher(self.session, budget=budget),
        )
        for fetcher in (fetchers.ocsp_fetcher, fetchers.crl_fetcher, fetchers.cert_fetcher):
            fetcher.deadline = self.deadline
        return fetchers


def guarded_fetcher_backend() -> GuardedFetcherBackend:
    """The fetchers for one validation context: the current policy, and fetching over a
    little before the current network budget ends."""
    left = seconds_left()
    _unchecked.set(set())
    return GuardedFetcherBackend(current_policy(), time.monotonic() + left * (1 - VALIDATION_SHARE))
