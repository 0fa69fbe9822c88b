"""A memo of what a process worked out from template text, for the children it forks."""

import logging
import threading
from collections import OrderedDict
from contextlib import suppress

from partnerships.core.errors import RegistryError
from partnerships.core.isolation import Budget, run_limited

logger = logging.getLogger(__name__)


class ParentMemo:
    """What this process worked out from template text (a part's Jinja code, docxtpl's
    cleaned-up XML), kept for the fills to come: a fill runs in a child forked from this
    process, which finds here what the parent worked out before the fork. A child only
    says which texts it had to work on; the parent works them out itself from those
    texts, after the child has done the same within its budget: the parent runs no code
    a child built. (The reply itself is read as plain data: see core.replies.)

    A child taken over by a hostile template could still report texts that are slow to
    work out (docxtpl's clean-up is quadratic on some: 24 KB took 0.4 s, 1 MB would take
    minutes). So new texts are first worked out in a child of their own under CHECK_BUDGET,
    our own code on nothing but the texts; only when it finishes in time does the parent
    repeat the same work, which then costs it no more than that budget.

    Bounded by the text it holds, which also bounds the code compiled from it (some ten
    times the text): a part larger than MAX_TEXT is not kept (it is compiled per fill, as
    before), and the least recently used go first."""

    MAX_TEXT = 1024 * 1024
    # The built-in templates' parts take under 0.1 s of CPU together.
    CHECK_BUDGET = Budget(memory_mb=256, cpu_seconds=2, wall_seconds=5)
    MAX_TOTAL_TEXT = 4 * 1024 * 1024  # the built-in templates' largest part is 0.4 MB

    def __init__(self, compute):
        self._compute = compute
        self._items: OrderedDict[str, object] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()  # web processes fill (a sample) from several threads

    def get(self, text: str):
        return self._items.get(text)

    def __len__(self) -> int:
        return len(self._items)

    def texts(self) -> list[str]:
        return list(self._items)

    def remember(self, texts) -> None:
        """Keep what `texts` work out to: each new text worked out once, here, only those a
        check child worked out within CHECK_BUDGET (repeats and texts already kept are
        not worked out again, so the work here is at most what the check allowed)."""
        texts = list(
            dict.fromkeys(
                text
                for text in (texts if isinstance(texts, list) else ())
                if isinstance(text, str) and len(text) <= self.MAX_TEXT
            )
        )
        with self._lock:
            new = [text for text in texts if text not in self._items]
            for text in texts:
                if text in self._items:
                    self._items.move_to_end(text)
        if not new or not self._cheap_enough(new):
            return
        for text in new:
            # Worked out outside the lock: one template's parts never hold up another's.
            try:
                result = self._compute(text)
            except Exception as exc:  # it worked in the child; if not here, it is not kept
                logger.info("A template part is not kept for later fills (%s)", type(exc).__name__)
                continue
            with self._lock:
                if text not in self._items:
                    self._items[text] = result
                    self._total += len(text)
                while self._total > self.MAX_TOTAL_TEXT:
                    evicted, _result = self._items.popitem(last=False)
                    self._total -= len(evicted)

    def _cheap_enough(self, texts: list[str]) -> bool:
        """Whether working out `texts` fits CHECK_BUDGET, tried in a child of its own."""
        try:
            run_limited(_work_out, self._compute, texts, budget=self.CHECK_BUDGET, returns=(int,))
        except RegistryError as exceeded:  # LimitExceeded
            logger.info("Template parts not kept for later fills: %s", exceeded)
            return False
        return True


def _work_out(compute, texts: list[str]) -> tuple[int]:
    """In the check's child: the work `remember` would do in the parent."""
    worked = 0
    for text in texts:
        with suppress(Exception):  # the parent skips a text that fails, too
            compute(text)
            worked += 1
    return (worked,)
