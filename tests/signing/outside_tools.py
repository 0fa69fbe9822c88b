"""What tools we did not write say about a signed PDF: poppler's pdfsig (trusting only the
roots it is given, through an NSS database of its own), qpdf --check, and OpenSSL on each
signature's byte range (`cms -verify` for a signature, `ts -verify` for a document
timestamp).

The byte ranges and the signatures are cut out of the file by hand, not by pyHanko, so that
OpenSSL's answer does not lean on the library the registry's own verdict comes from."""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, parser, pem

TOOLS = {
    "pdfsig": "apt-get install poppler-utils",
    "qpdf": "apt-get install qpdf",
    "openssl": "apt-get install openssl",
    "certutil": "apt-get install libnss3-tools",
}

# The content type of an RFC 3161 token's TSTInfo (id-ct-TSTInfo).
TST_INFO = "1.2.840.113549.1.9.16.1.4"
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def missing_tools() -> list[str]:
    """The tools this module needs that are not installed, with how to install each."""
    return [f"{tool} ({hint})" for tool, hint in TOOLS.items() if shutil.which(tool) is None]


@dataclass(frozen=True)
class SignedRange:
    """One signature of the file, in the order the file holds them (its signing order)."""

    kind: str  # "signature" or "timestamp" (a document timestamp: RFC 3161 token)
    signed_bytes: bytes  # what /ByteRange covers
    cms: bytes  # the DER of /Contents, without its zero padding


def signed_ranges(pdf: bytes) -> list[SignedRange]:
    """Every /ByteRange of the file with the /Contents in its gap."""
    ranges = []
    for match in _BYTE_RANGE.finditer(pdf):
        start, length, second, second_length = map(int, match.groups())
        gap = pdf[start + length : second].strip()
        if start != 0 or not (gap.startswith(b"<") and gap.endswith(b">")):
            continue  # not a signature's (or one no tool could check either)
        padded = bytes.fromhex(gap[1:-1].decode("ascii"))
        _class, _method, _tag, header, contents, _trailer = parser.parse(padded)
        der = padded[: len(header) + len(contents)]
        content_type = cms.ContentInfo.load(der)["content"]["encap_content_info"]["content_type"]
        ranges.append(
            SignedRange(
                kind="timestamp" if content_type.dotted == TST_INFO else "signature",
                signed_bytes=pdf[start : start + length] + pdf[second : second + second_length],
                cms=der,
            )
        )
    return ranges


def openssl_verifies(signed: SignedRange, *, cafile: Path, folder: Path) -> bool:
    """OpenSSL's word on one signature over its byte range, trusting only `cafile`."""
    content, token = folder / "signed-bytes", folder / "signature.der"
    content.write_bytes(signed.signed_bytes)
    token.write_bytes(signed.cms)
    if signed.kind == "timestamp":
        command = ["openssl", "ts", "-verify", "-data", content, "-in", token, "-token_in"]
    else:
        command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", token,
                   "-content", content, "-purpose", "any", "-out", "/dev/null"]  # fmt: skip
    result = subprocess.run(
        [*map(str, command), "-CAfile", str(cafile)], capture_output=True, text=True
    )
    return result.returncode == 0


def nss_database(folder: Path, roots: list) -> str:
    """An NSS database (for pdfsig -nssdir) that trusts exactly `roots` (asn1crypto
    certificates)."""
    database = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    for number, root in enumerate(roots):
        path = folder / f"root-{number}.pem"
        path.write_bytes(pem.armor("CERTIFICATE", root.dump()))
        subprocess.run(
            ["certutil", "-A", "-d", database, "-n", f"root-{number}", "-t", "C,C,C",
             "-i", str(path)],
            check=True,
        )  # fmt: skip
    return database


@dataclass(frozen=True)
class PdfsigReport:
    field: str
    signature_valid: bool  # "Signature is Valid."
    certificate_trusted: bool  # "Certificate is Trusted."
    text: str


def pdfsig(path: Path, *, nss_database: str) -> list[PdfsigReport]:
    """pdfsig's report of each signature of the file at `path`. (No OCSP: the demo's
    certificates name none, and a tool's failed lookup must not decide the test.)"""
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss_database, "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
    )
    blocks = re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]
    reports = []
    for block in blocks:
        field = re.search(r"Signature Field Name: (.*)$", block, re.M)
        reports.append(
            PdfsigReport(
                field=field.group(1).strip() if field else "",
                signature_valid="Signature Validation: Signature is Valid." in block,
                certificate_trusted="Certificate Validation: Certificate is Trusted." in block,
                text=block,
            )
        )
    return reports


def qpdf_check(path: Path) -> tuple[bool, str]:
    """qpdf --check: (no syntax or stream errors, its output)."""
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    output = result.stdout + result.stderr
    return (
        result.returncode == 0 and "No syntax or stream encoding errors found" in output,
        output,
    )
