"""The deployment's rule that a certificate belongs to an authority, on the test PKI's
certificates (O=UBND xã Bến Lức, CN=Võ Minh Tâm; O=UBND xã Thạnh Lợi, CN=Trần Văn Lợi)."""

import pytest

from partnerships.signing.pdf.authority_rule import (
    DEFAULT_AUTHORITY_RULE,
    AuthorityIdentity,
    AuthorityRule,
    rule_from,
)

BEN_LUC = AuthorityIdentity(id=2, name="UBND xã Bến Lức", code="UBND")
THANH_LOI = AuthorityIdentity(id=3, name="UBND  XÃ Thạnh Lợi", code="UBND")


def test_by_default_the_organisation_is_the_authoritys_name(pki):
    assert DEFAULT_AUTHORITY_RULE.matches(pki.cert("authority"), BEN_LUC)
    assert not DEFAULT_AUTHORITY_RULE.matches(pki.cert("authority"), THANH_LOI)
    assert not DEFAULT_AUTHORITY_RULE.matches(pki.cert("business"), BEN_LUC)
    assert not DEFAULT_AUTHORITY_RULE.matches(None, BEN_LUC)


def test_names_compare_as_a_reader_reads_them(pki):
    # Case and runs of spaces differ from the certificate's "UBND xã Thạnh Lợi".
    assert DEFAULT_AUTHORITY_RULE.matches(pki.cert("authority_thanh_loi"), THANH_LOI)


def test_contains_and_pattern(pki):
    contains = AuthorityRule(match="contains", value="Bến Lức")
    pattern = AuthorityRule(match="pattern", value=r"ubnd xã .* lức")
    named = AuthorityRule(attributes=("common_name",), match="equals", value="Võ Minh Tâm")

    for rule in (contains, pattern, named):
        assert rule.matches(pki.cert("authority"), THANH_LOI), rule
        assert not rule.matches(pki.cert("authority_thanh_loi"), THANH_LOI), rule


def test_a_dotted_oid_names_an_attribute(pki):
    organisation = AuthorityRule(attributes=("2.5.4.10",), value="{name}")

    assert organisation.matches(pki.cert("authority"), BEN_LUC)


def test_placeholders_are_literal_in_a_pattern(pki):
    # A name holding regex characters cannot widen the pattern.
    dotted = AuthorityIdentity(id=9, name="UBND xã B.n L.c", code="UBND")

    assert not AuthorityRule(match="pattern", value="{name}").matches(pki.cert("authority"), dotted)


def test_the_refusal_names_the_authority_the_subject_and_the_rule(pki):
    message = DEFAULT_AUTHORITY_RULE.refusal(pki.cert("authority"), THANH_LOI)

    assert "UBND  XÃ Thạnh Lợi" in message
    assert "UBND xã Bến Lức" in message
    assert "organization_name equals" in message


@pytest.mark.parametrize(
    "config",
    [
        "organization_name",
        {"attributes": ["organization_name"]},
        {"equals": "a", "contains": "b"},
        {"pattern": "("},
        {"attributes": "organization_name", "equals": 3},
        {"equals": "  "},
    ],
)
def test_a_wrong_rule_is_refused_with_a_reason(config):
    with pytest.raises(ValueError):
        rule_from(config)


def test_a_rule_from_its_configuration():
    rule = rule_from({"attributes": "serial_number", "equals": "MNS:{code}-{id}"})

    assert rule == AuthorityRule(
        attributes=("serial_number",), match="equals", value="MNS:{code}-{id}"
    )
    assert rule_from(None) is DEFAULT_AUTHORITY_RULE


# --- Attacks on the placeholders ---


def test_a_pattern_reads_the_name_as_equals_does(pki):
    """Case and runs of spaces in the registry's name: equals folds them, so a pattern that
    only names {name} must too (else the same authority is refused under one rule and
    accepted under the other)."""
    pattern = AuthorityRule(match="pattern", value="{name}")

    assert pattern.matches(pki.cert("authority_thanh_loi"), THANH_LOI)
    assert not pattern.matches(pki.cert("authority"), THANH_LOI)


def test_a_name_typed_with_decomposed_accents_still_matches(pki):
    import unicodedata

    decomposed = AuthorityIdentity(id=2, name=unicodedata.normalize("NFD", "UBND xã Bến Lức"))
    for rule in (DEFAULT_AUTHORITY_RULE, AuthorityRule(match="pattern", value="{name}")):
        assert rule.matches(pki.cert("authority"), decomposed), rule


@pytest.mark.parametrize("value", ["{name}", "ubnd xã {name}"])
@pytest.mark.parametrize("name", ["(", ".*", "B.n L.c)|(.*", "[^x]+", "\\"])
def test_regex_characters_in_a_name_never_widen_a_pattern(pki, value, name):
    hostile = AuthorityIdentity(id=9, name=name, code="UBND")

    assert not AuthorityRule(match="pattern", value=value).matches(pki.cert("authority"), hostile)


def test_a_placeholder_inside_a_name_is_not_filled_again(pki):
    """An authority named "{code}" (or "{id}") must need a certificate naming "{code}", not
    one naming its code: the name is a value, never part of the rule."""
    named_code = AuthorityIdentity(id=2, name="{code}", code="UBND xã Bến Lức")
    named_id = AuthorityIdentity(id=2, name="UBND xã Bến Lức", code="{name}")

    for rule in (DEFAULT_AUTHORITY_RULE, AuthorityRule(match="pattern", value="{name}")):
        assert not rule.matches(pki.cert("authority"), named_code), rule
    assert not AuthorityRule(match="equals", value="{code}").matches(
        pki.cert("authority"), named_id
    )
    assert named_code.fill("{name}") == "{code}"


@pytest.mark.parametrize(
    "rule",
    [
        AuthorityRule(match="pattern", value=r".*{code}.*"),
        AuthorityRule(match="contains", value="ubnd xã {code}"),
        AuthorityRule(match="equals", value="{name}{code}"),
    ],
)
def test_a_placeholder_with_nothing_to_fill_matches_no_certificate(pki, rule):
    """An authority registered without a document code: "{code}" would fill to nothing and
    the rule would admit any commune's certificate (here Thạnh Lợi's for Bến Lức)."""
    without_code = AuthorityIdentity(id=2, name="UBND xã Bến Lức", code="")
    with_code = AuthorityIdentity(id=2, name="UBND xã Bến Lức", code="Bến Lức")

    assert not rule.matches(pki.cert("authority_thanh_loi"), without_code)
    assert not rule.matches(pki.cert("authority"), without_code)
    if rule.match != "equals":
        assert rule.matches(pki.cert("authority"), with_code)


def test_the_rule_for_every_authority_must_name_it():
    """Without a placeholder, one rule for every authority is met by each of their
    certificates: Bến Lức's would sign for Thạnh Lợi."""
    with pytest.raises(ValueError, match=r"\{name\}, \{code\} or \{id\}"):
        rule_from({"contains": "UBND xã"}, for_every_authority=True)

    assert rule_from({"contains": "{name}"}, for_every_authority=True)
    # One authority's own rule may be fixed text: it is that authority's alone.
    assert rule_from({"contains": "Kim Bảng"})
