"""The demo's time-stamping authority answers RFC 3161 requests on loopback, under its own
demo root, and refuses what is not a small timestamp request."""

import asyncio
import hashlib
import http.client
from urllib.parse import urlsplit

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign.timestamps import HTTPTimeStamper

from partnerships.signing.demo_tsa import TSA_ROOT_FILE, TSA_ROOT_NAME, serve_demo_tsa


def test_it_issues_timestamps_under_its_demo_root(tmp_path):
    digest = hashlib.sha256(b"an MoU").digest()
    with serve_demo_tsa(tmp_path) as url:
        token = asyncio.run(HTTPTimeStamper(url, timeout=10).async_timestamp(digest, "sha256"))

    signed_data = token["content"]
    [signer_info] = signed_data["signer_infos"]
    issuer = signer_info["sid"].chosen["issuer"].native["common_name"]
    assert issuer == TSA_ROOT_NAME
    assert "not trusted outside this demo" in TSA_ROOT_NAME
    root = load_cert_from_pemder(tmp_path / TSA_ROOT_FILE)
    assert root.subject.native["common_name"] == TSA_ROOT_NAME


@pytest.mark.parametrize(("body", "status"), [(b"not a request", 400), (b"x" * 20000, 413)])
def test_it_refuses_what_is_not_a_small_timestamp_request(tmp_path, body, status):
    with serve_demo_tsa(tmp_path) as url:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("POST", "/", body=body)
        answer = connection.getresponse().status
        connection.close()
    assert answer == status
