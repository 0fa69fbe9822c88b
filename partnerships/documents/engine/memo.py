"""A memo of what a process worked out from template text, for the children it forks."""

import logging
import threading
from collections import OrderedDict

logger = logging.getLogger(__name__)


class ParentMemo:
    """What this process worked out from template text (a part's Jinja code, docxtpl's
    cleaned-up XML), kept for the fills to come: a fill runs in a child forked from this
    process, which finds here what the parent worked out before the fork. A child only
    says which texts it had to work on; the parent works them out itself from those
    texts, after the child has done the same within its budget: the parent runs no code
    a child built. (The reply itself is read as plain data: see core.replies.)

    Bounded by the text it holds, which also bounds the code compiled from it (some ten
    times the text): a part larger than MAX_TEXT is not kept (it is compiled per fill, as
    before), and the least recently used go first."""

    MAX_TEXT = 1024 * 1024
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
        for text in texts if isinstance(texts, list) else ():
            if not isinstance(text, str) or len(text) > self.MAX_TEXT:
                continue
            if text in self._items:
                with self._lock:
                    if text in self._items:
                        self._items.move_to_end(text)
                continue
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
