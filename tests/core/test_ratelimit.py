"""The public pages' rate limits count in the database: one count for every web worker, a
window that ends, and keys stored only as hashes."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from partnerships.core import ratelimit
from partnerships.models import RateLimitCounter


def test_the_limit_allows_that_many_then_refuses(db):
    answers = [ratelimit.allow("verify", "203.0.113.7", limit=3, window=600) for _ in range(5)]

    assert answers == [True, True, True, False, False]
    assert ratelimit.exceeded("verify", "203.0.113.7", limit=3)
    assert not ratelimit.exceeded("verify", "198.51.100.1", limit=3)
    assert "203.0.113.7" not in RateLimitCounter.objects.get().key


def test_the_window_ends(db):
    for _ in range(4):
        ratelimit.allow("verify", "203.0.113.7", limit=3, window=600)
    RateLimitCounter.objects.update(window_ends=timezone.now() - timedelta(seconds=1))

    assert not ratelimit.exceeded("verify", "203.0.113.7", limit=3)
    assert ratelimit.allow("verify", "203.0.113.7", limit=3, window=600)
    assert RateLimitCounter.objects.get().hits == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises the test database)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_on_separate_connections_share_one_count():
    allowed = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(10):
                answer = ratelimit.allow("verify", "203.0.113.7", limit=10, window=600)
                with lock:
                    allowed.append(answer)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert allowed.count(True) == 10
    assert RateLimitCounter.objects.get().hits == 30


# --- Budgets of a quantity (ID numbers checked): spent from several at once, or none ---


def test_a_budget_is_spent_by_amount_and_a_refusal_costs_nothing(db):
    budgets = [("lookups", "user-1", 10)]
    assert ratelimit.spend(budgets, amount=7, window=600)
    assert not ratelimit.spend(budgets, amount=4, window=600)  # 11 > 10: refused, not counted
    assert ratelimit.spend(budgets, amount=3, window=600)
    assert not ratelimit.spend(budgets, amount=1, window=600)
    RateLimitCounter.objects.update(window_ends=timezone.now() - timedelta(seconds=1))
    assert ratelimit.spend(budgets, amount=10, window=600)


def test_several_budgets_are_spent_together_or_not_at_all(db):
    user, business = ("lookups", "user-1", 100), ("lookups-business", "7", 5)
    assert ratelimit.spend([user, business], amount=5, window=600)
    assert not ratelimit.spend([user, business], amount=1, window=600)
    assert sorted(RateLimitCounter.objects.values_list("hits", flat=True)) == [5, 5]
    ratelimit.forget([user[:2]])
    assert ratelimit.spend([user], amount=100, window=600)
