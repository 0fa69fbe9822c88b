"""One PDFium call at a time in this process.

PDFium is not thread-safe: two threads inside it at once, even on different documents, crash
the process (pypdfium2's documentation says so, and a signing test running beside a page-image
request did exactly that). The web server runs requests in threads, and the worker runs tasks in
threads, so every use of PDFium goes through `document()`, which holds one process-wide lock
from opening the PDF until every page and bitmap of it is closed. The registry's MoUs (a few
pages) take tens of milliseconds, so requests queue for it only briefly; a long PDF holds it
longer (uploads are checked in a child process, which has its own). Processes (gunicorn
workers) each have their own PDFium and their own lock.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2

# Re-entrant, so a helper that opens a document may call another that does the same.
_LOCK = threading.RLock()

PdfiumError = pypdfium2.PdfiumError


@contextmanager
def document(pdf: bytes) -> Iterator[pypdfium2.PdfDocument]:
    """`pdf` opened in PDFium, with the process-wide lock held until it is closed.

    Closing the document closes its pages, forms and bitmaps too, so nothing of it is left for
    the garbage collector to free later on some other thread. Callers copy what they need
    (pixels, sizes) out of PDFium before the block ends.
    """
    with _LOCK:
        opened = pypdfium2.PdfDocument(pdf)
        try:
            yield opened
        finally:
            opened.close()
