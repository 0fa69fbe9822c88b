"""Signing and verifying MoU PDFs: bytes in, bytes out; no database, no HTTP of our own
(pyHanko reaches the time-stamping authority and the OCSP/CRL servers it is pointed at).

- `signers`: where keys come from (a PKCS#12 file, a PKCS#11 token).
- `pades`: the authority's certification, the business's approval (its own certificate or the
  registry's seal), the archive timestamp; the PAdES level follows the options given.
- `stamps`: the visible stamps, in Vietnamese, in an embedded TrueType font.
- `upload`: is a PDF the business signed with its own tool acceptable?
- `verify`: a verdict on any PDF, for anyone, never an exception.
- `trust`: trust roots and validation contexts.
"""
