"""SIGNING_AUTHORITIES_FILE read into each authority's signer and rule; every mistake is a
problem that names what is wrong, never a crash."""

import json

from partnerships.signing.authority_signers import parse, read_authority_signing
from partnerships.signing.pdf.authority_rule import DEFAULT_AUTHORITY_RULE, AuthorityRule
from partnerships.signing.signer_sources import Pkcs11Source, Pkcs12Source


def write(tmp_path, data) -> str:
    path = tmp_path / "authorities.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_each_authority_has_its_source_and_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("P12_SECRET", "mật khẩu")
    monkeypatch.setenv("PIN_SECRET", "1234")
    config = parse(
        {
            "rule": {"contains": "{name}"},
            "require_timestamp": True,
            "authorities": {
                "12": {"pkcs12": "/etc/a.p12", "passphrase_env": "P12_SECRET"},
                "13": {
                    "pkcs11": {"module": "/lib/p11.so", "pin_env": "PIN_SECRET", "key_label": "k"},
                    "rule": {"attributes": ["serial_number"], "equals": "{id}"},
                },
                "14": {},
            },
        }
    )

    assert config.source(12) == Pkcs12Source("/etc/a.p12", "mật khẩu")
    assert isinstance(config.source(13), Pkcs11Source)
    assert config.source(13).pin == "1234" and config.source(13).cert_label == "k"
    assert config.source(14) is None and config.source(99) is None
    assert config.rule_for(13) == AuthorityRule(("serial_number",), "equals", "{id}")
    assert config.rule_for(12) == config.rule_for(99) == AuthorityRule(match="contains")
    assert config.require_timestamp


def test_no_file_is_no_configuration():
    config = read_authority_signing("")

    assert not config.entries and not config.errors
    assert config.rule_for(1) is DEFAULT_AUTHORITY_RULE


def test_mistakes_are_problems_that_say_what_is_wrong(tmp_path, monkeypatch):
    monkeypatch.delenv("NOWHERE", raising=False)
    cases = {
        "{broken": "Expecting property name",
        json.dumps([1]): "JSON object",
        json.dumps({"authorities": {"UBND": {}}}): "'UBND' is not an authority id",
        json.dumps(
            {"authorities": {"5": {"pkcs12": "/a.p12", "passphrase_env": "NOWHERE"}}}
        ): "NOWHERE is not set",
        json.dumps({"authorities": {"5": {"pkcs12": "/a.p12"}}}): "needs passphrase_env",
        json.dumps({"authorities": {"5": {"rule": {"pattern": "("}}}}): "authority 5",
    }
    for number, (content, detail) in enumerate(cases.items()):
        folder = tmp_path / str(number)
        folder.mkdir()
        config = read_authority_signing(write(folder, content))
        assert len(config.errors) == 1, content
        assert detail in str(config.errors[0]), (content, str(config.errors[0]))
        assert "SIGNING_AUTHORITIES_FILE" in str(config.errors[0])


def test_a_missing_file_is_a_problem(tmp_path):
    config = read_authority_signing(str(tmp_path / "nowhere.json"))

    assert "cannot be read" in str(config.errors[0])


def test_check_deploy_reports_a_broken_file(settings, tmp_path):
    from django.core.checks import run_checks

    settings.SIGNING_AUTHORITIES_FILE = write(tmp_path, "{broken")

    errors = run_checks(tags=["signing"], include_deployment_checks=True)

    assert [e.id for e in errors if e.id == "partnerships.E021"] == ["partnerships.E021"]
