"""The fetch policy on its own: which URLs it allows, which addresses count as public, and
that every address a name resolves to is checked before any connection is made."""

import asyncio
import socket

import pytest

from partnerships.signing.pdf.fetching import (
    FetchPolicy,
    FetchRefused,
    _CheckedResolver,
    hosts_of,
    is_public,
)


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        ("http://crl.ca.example.vn/crl/", "http://crl.ca.example.vn/crl/ca1.crl", True),
        ("http://crl.ca.example.vn/crl/", "http://crl.ca.example.vn/other", False),
        ("http://crl.ca.example.vn/crl/", "https://crl.ca.example.vn/crl/ca1.crl", False),
        ("http://crl.ca.example.vn", "http://crl.ca.example.vn.evil.test/", False),
        ("http://crl.ca.example.vn", "http://crl.ca.example.vn:8080/", False),
        ("ocsp.ca.example.vn", "http://ocsp.ca.example.vn/", True),
        ("ocsp.ca.example.vn", "https://OCSP.ca.example.vn/x", True),
        ("ocsp.ca.example.vn", "http://ocsp.ca.example.vn:8080/", False),
        ("ca.example.vn:8080", "http://ca.example.vn:8080/ocsp", True),
        ("*.ca.example.vn", "http://ocsp.ca.example.vn/", True),
        ("*.ca.example.vn", "http://ca.example.vn/", False),
        ("*.ca.example.vn", "http://evilca.example.vn/", False),
        ("ocsp.ca.example.vn", "ftp://ocsp.ca.example.vn/", False),
        ("ocsp.ca.example.vn", "http://user@ocsp.ca.example.vn.evil.test/", False),
    ],
)
def test_which_urls_an_entry_allows(entry, url, allowed):
    assert FetchPolicy.of([entry]).allows(url) is allowed


def test_nothing_is_allowed_without_a_policy():
    assert not FetchPolicy().allows("http://ocsp.ca.example.vn/")


@pytest.mark.parametrize("entry", ["ldap://ca.example.vn/", "http:///nothing", "a b/c"])
def test_an_entry_that_is_not_a_host_or_url_is_refused(entry):
    with pytest.raises(ValueError):
        FetchPolicy.of([entry])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:0a00:0001::1",  # 6to4 around 10.0.0.1
        "not an address",
    ],
)
def test_internal_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["203.162.4.190", "2001:4860:4860::8888"])
def test_public_addresses_are_public(address):
    assert is_public(address)


def test_only_exact_hosts_written_by_the_deployment_may_be_internal():
    written = FetchPolicy.of(["ca.internal:8080", "*.corp.example"], internal=True)
    derived = FetchPolicy.of(["http://ca.internal:8080/"])
    written.check_address("ca.internal", "10.0.0.5")
    with pytest.raises(FetchRefused):
        written.check_address("ocsp.corp.example", "10.0.0.5")
    with pytest.raises(FetchRefused):
        derived.check_address("ca.internal", "10.0.0.5")


def test_a_name_is_refused_if_any_address_it_resolves_to_is_internal(monkeypatch):
    """No connection is made here at all: the resolver refuses before one could be."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.162.4.190", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    async def resolve():
        resolver = _CheckedResolver(FetchPolicy.of(["*.ca.example.vn"]))
        try:
            return await resolver.resolve("ocsp.ca.example.vn", 80)
        finally:
            await resolver.close()

    with pytest.raises(FetchRefused):
        asyncio.run(resolve())


def test_the_default_entries_are_the_hosts_of_the_urls():
    assert hosts_of(
        ["http://ca.example.vn/a.crl", "http://ca.example.vn/b.crl", "https://ocsp.example.vn/x"]
    ) == ["http://ca.example.vn:80/", "https://ocsp.example.vn:443/"]
