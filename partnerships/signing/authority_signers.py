"""Which certificate signs for which authority: SIGNING_AUTHORITIES_FILE (see the README).

A JSON file, no secrets in it (passphrases and PINs are named by environment variable):

    {
      "rule": {"attributes": ["organization_name"], "equals": "{name}"},
      "require_timestamp": true,
      "authorities": {
        "12": {"pkcs12": "/etc/partnerships/ben-luc.p12", "passphrase_env": "BEN_LUC_P12"},
        "13": {"pkcs11": {"module": "/usr/lib/softhsm/libsofthsm2.so", "token": "thanh-loi",
                          "pin_env": "THANH_LOI_PIN", "key_label": "signing"},
               "rule": {"attributes": ["serial_number"], "equals": "MNS:{code}-13"}},
        "14": {"rule": {"contains": "Kim Bảng"}}
      }
    }

Keys are authority ids (the document code, "UBND", is shared by every People's Committee).
An authority without a signer here signs by download, its USB token and upload, unless the
deployment lets the single SIGNING_AUTHORITY_* signer stand in (SIGNING_AUTHORITY_SHARED).
"rule" (top level: every authority's; per authority: its own) says when a certificate
belongs to the authority (signing/pdf/authority_rule.py); "require_timestamp" refuses an
uploaded authority signature without a trusted timestamp.
"""

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from partnerships.signing.pdf.authority_rule import DEFAULT_AUTHORITY_RULE, AuthorityRule, rule_from
from partnerships.signing.signer_sources import Pkcs11Source, Pkcs12Source

# A province has a few hundred communes and wards; a file far beyond is a mistake.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AuthoritySigner:
    authority_id: int
    source: Pkcs12Source | Pkcs11Source | None  # None: the authority signs by upload
    rule: AuthorityRule | None = None  # None: the deployment's rule for every authority


@dataclass(frozen=True)
class AuthoritySigning:
    """The per-authority part of the signing setup."""

    entries: tuple[AuthoritySigner, ...] = ()
    rule: AuthorityRule = DEFAULT_AUTHORITY_RULE
    require_timestamp: bool = False
    errors: tuple = ()

    def entry(self, authority_id: int | None) -> AuthoritySigner | None:
        return next((e for e in self.entries if e.authority_id == authority_id), None)

    def source(self, authority_id: int | None) -> Pkcs12Source | Pkcs11Source | None:
        entry = self.entry(authority_id)
        return entry.source if entry is not None else None

    def rule_for(self, authority_id: int | None) -> AuthorityRule:
        entry = self.entry(authority_id)
        return entry.rule if entry is not None and entry.rule is not None else self.rule

    def sources(self) -> list:
        return [e.source for e in self.entries if e.source is not None]


def _problem(path: str, detail: str):
    return _("SIGNING_AUTHORITIES_FILE (%(path)s) cannot be used: %(detail)s") % {
        "path": path,
        "detail": detail,
    }


def _source(authority_id: str, config: dict, extra: tuple):
    """The entry's signer source, or None; ValueError with what is wrong."""
    if "pkcs12" in config and "pkcs11" in config:
        raise ValueError(f"authority {authority_id} names both pkcs12 and pkcs11")
    if "pkcs12" in config:
        secret = _secret(config, "passphrase_env", authority_id)
        return Pkcs12Source(str(config["pkcs12"]), secret, extra)
    if "pkcs11" in config:
        token = config["pkcs11"]
        if not isinstance(token, dict) or not token.get("module"):
            raise ValueError(f"authority {authority_id}: pkcs11 needs a module")
        key_label = str(token.get("key_label", ""))
        return Pkcs11Source(
            module=str(token["module"]),
            pin=_secret(token, "pin_env", authority_id),
            token_label=str(token.get("token", "")),
            key_label=key_label,
            cert_label=str(token.get("cert_label", "")) or key_label,
            extra=extra,
        )
    return None


def _secret(config: dict, key: str, authority_id: str) -> str:
    """A passphrase or PIN from the environment variable the entry names."""
    variable = config.get(key)
    if not isinstance(variable, str) or not variable:
        raise ValueError(f"authority {authority_id} needs {key} (an environment variable)")
    if variable not in os.environ:
        raise ValueError(f"authority {authority_id}: the variable {variable} is not set")
    return os.environ[variable]


def parse(data, *, extra: tuple = ()) -> AuthoritySigning:
    """The configuration from the file's JSON; ValueError with what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("the file holds a JSON object")
    default_rule = rule_from(data.get("rule"), for_every_authority=True)
    authorities = data.get("authorities", {})
    if not isinstance(authorities, dict):
        raise ValueError('"authorities" maps authority ids to their signers')
    entries = []
    for key, config in authorities.items():
        if not str(key).isdigit() or not isinstance(config, dict):
            raise ValueError(f"{key!r} is not an authority id with its settings")
        try:
            rule = rule_from(config["rule"]) if "rule" in config else None
        except ValueError as exc:
            raise ValueError(f"authority {key}: {exc}") from exc
        entries.append(AuthoritySigner(int(key), _source(key, config, extra), rule))
    return AuthoritySigning(
        entries=tuple(entries),
        rule=default_rule,
        require_timestamp=bool(data.get("require_timestamp", False)),
    )


@functools.lru_cache(maxsize=4)
def _read(path: str, mtime: float, extra: tuple, environment: tuple) -> AuthoritySigning:
    # Read once per version of the file (and of the environment its secrets come from).
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            raise ValueError("the file is too large")
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return parse(data, extra=extra)
    except (OSError, UnicodeDecodeError) as exc:
        return AuthoritySigning(errors=(_problem(path, type(exc).__name__),))
    except ValueError as exc:  # json.JSONDecodeError is one
        return AuthoritySigning(errors=(_problem(path, str(exc)),))


def read_authority_signing(path: str, *, extra: tuple = ()) -> AuthoritySigning:
    """The configuration in `path` (empty: none)."""
    if not path:
        return AuthoritySigning()
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return AuthoritySigning(errors=(_problem(path, _("the file cannot be read")),))
    return _read(path, mtime, extra, tuple(sorted(os.environ.items())))
