"""Document figures: filling a template, converting it warm and cold, documents per second.

Works on bytes only (no pages, no database), with the built-in Vietnamese template and an
MoU of four pledges. The warm figures use a unoserver started for the run on a free port.
"""

import socket
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

from partnerships.devtools.base import (
    FUNCTION,
    Benchmark,
    Figure,
    Session,
    median,
    time_runs,
    whole_number,
)
from partnerships.documents.engine import convert
from partnerships.documents.engine.fields import prepare_signable_pdf
from partnerships.documents.engine.fill import fill_template
from partnerships.documents.template_library import _SAMPLE_CONTEXT

FILL_TARGET_MS = 60
WARM_TARGET_MS = 250
THROUGHPUT_TARGET = 4


def _context() -> dict:
    pledge = _SAMPLE_CONTEXT["pledges"][0]
    pledges = [
        {**pledge, "index": index, "quantity": 10, "occupation": f"Công nhân {index}"}
        for index in range(1, 5)
    ]
    return {**_SAMPLE_CONTEXT, "pledges": pledges, "pledged_total": 40}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DocumentsBenchmark(Benchmark):
    name = "documents"
    help = "template filling, DOCX to PDF conversion (warm and cold), documents per second"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--documents",
            type=whole_number(minimum=2),
            default=20,
            help="Documents converted for the throughput figure (default 20).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        template = (settings.BASE_DIR / "mou_templates" / "bgn_vi.docx").read_bytes()
        context = _context()
        docx = fill_template(template, context)

        fill = time_runs(lambda: fill_template(template, context), runs=session.runs)
        yield Figure.under(
            "documents.fill_median",
            round(median(fill.wall), 1),
            "ms",
            FILL_TARGET_MS,
            how=FUNCTION,
            runs=len(fill.wall),
        )

        session.log("Converting cold (a one-off soffice per document)…")
        cold = time_runs(lambda: convert.convert_cold(docx), runs=3, warm_up=1)
        yield Figure(
            "documents.cold_convert_median",
            round(median(cold.wall), 1),
            "ms",
            how=FUNCTION,
            runs=len(cold.wall),
        )

        session.log("Starting a warm converter (unoserver)…")
        with tempfile.TemporaryDirectory(prefix="benchmark-unoserver-") as profile:
            port = _free_port()
            try:
                server = convert.start_unoserver(port, Path(profile))
            except convert.UnoserverUnavailable as error:
                session.log(f"No warm converter: {error}")
                yield Figure("documents.warm_unavailable", 1, "flag")
                return
            try:
                yield from self._warm_figures(session, template, context, port)
            finally:
                convert.stop_unoserver(server)

    def _warm_figures(self, session, template, context, port) -> Iterator[Figure]:
        def produce() -> bytes:
            pdf = convert.convert_warm(fill_template(template, context), port=port)
            return prepare_signable_pdf(pdf)

        warm = time_runs(produce, runs=session.runs)
        yield Figure.under(
            "documents.warm_fill_convert_fields_median",
            round(median(warm.wall), 1),
            "ms",
            WARM_TARGET_MS,
            how=FUNCTION,
            runs=len(warm.wall),
        )
        count = session.options["documents"]
        started = time.perf_counter()
        # Two callers, as two workers would: the server converts one at a time, so the
        # second overlaps its filling and field placement with the other's conversion.
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda _: produce(), range(count)))
        rate = count / (time.perf_counter() - started)
        yield Figure.at_least(
            "documents.warm_per_second",
            round(rate, 2),
            "docs/s",
            THROUGHPUT_TARGET,
            how=FUNCTION,
            runs=count,
        )
