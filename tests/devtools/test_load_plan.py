"""The load run stays on loopback and within its bounds, whatever it is asked."""

import pytest

from partnerships.devtools.load import LoadPlan, LoadRefused, PageLoad, met


def plan(**changes) -> LoadPlan:
    values = {
        "urls": {"list": "/mous/"},
        "session_cookies": ["x"],
        "session_cookie_name": "sessionid",
        "uploads": [b"%PDF"],
        "env": {},
    }
    return LoadPlan(**values | changes)


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.2", "0.0.0.0", "8.8.8.8", "::"])  # noqa: S104
def test_it_refuses_to_load_anything_but_loopback(host):
    with pytest.raises(LoadRefused, match="not a loopback address"):
        plan(host=host).check()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration": 0}, "duration"),
        ({"duration": 601}, "duration"),
        ({"users": 0}, "users"),
        ({"users": 501}, "users"),
        ({"weights": {"admin": 1}}, "unknown pages"),
    ],
)
def test_it_refuses_a_run_out_of_bounds(changes, message):
    with pytest.raises(LoadRefused, match=message):
        plan(**changes).check()


def test_loopback_within_bounds_is_accepted():
    plan(host="127.0.0.1").check()
    plan(host="::1").check()


def page(name: str, **changes) -> PageLoad:
    values = {"answered": 100, "errors": 0, "error_kinds": [], "p50_ms": 80.0, "p95_ms": 400.0}
    return PageLoad(page=name, per_second=50.0, **values | changes)


def test_a_page_meets_its_target_with_a_fast_p95_and_no_error():
    assert met(page("list"))
    assert not met(page("list", p95_ms=500.0))
    assert not met(page("list", errors=1))
    assert met(page("verify"))
    slow_verify = page("verify")
    slow_verify.per_second = 39.9
    assert not met(slow_verify)
