"""Document figures: filling a template, converting it cold and warm, documents per second
with one converter and with a pool, and the wait from "Save" to the PDF link on the page.

The MoU is the built-in Vietnamese template filled as users fill it (`mou_context`: real
names and addresses, four full pledge lines; three pages). The warm figures use converters
(unoservers) started for the run on free ports. Throughput is measured with callers in
threads of this process, one per converter, as workers would call them (the workers are
processes in production, so the Python part of each document runs there without sharing one
interpreter: these figures are, if anything, low). The wait is in documents_wait.py.
"""

import socket
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
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
POOL_THROUGHPUT_TARGET = 8
HOST = "127.0.0.1"
PLEDGE_KINDS = ("Việc làm", "Đào tạo nghề", "Việc làm", "Hỗ trợ sinh kế")


def mou_context(pledges: int = 4) -> dict:
    """An MoU as users write them: real names and four full pledge lines: three pages."""
    lines = [
        {
            "index": index,
            "kind": PLEDGE_KINDS[(index - 1) % len(PLEDGE_KINDS)],
            "quantity": 5 * index,
            "target_groups": "Người sau cai nghiện ma túy; người chấp hành xong án phạt tù",
            "occupation": f"Công nhân may công nghiệp, chuyền {index}",
            "min_monthly_wage": "5.500.000 đồng",
            "workplace": "Lô C3, Khu công nghiệp Thuận Đạo, thị trấn Bến Lức, tỉnh Long An",
            "due_date": f"30/{index + 3:02d}/2027",
        }
        for index in range(1, pledges + 1)
    ]
    return {
        **_SAMPLE_CONTEXT,
        "document_number": "127/BGN-UBND",
        "document_date": "ngày 15 tháng 03 năm 2027",
        "title": "Bản ghi nhớ hợp tác hỗ trợ tái hòa nhập cộng đồng",
        "authority": {
            "name": "Ủy ban nhân dân xã Bến Lức",
            "parent_name": "Ủy ban nhân dân tỉnh Tây Ninh",
            "address": "Số 1 đường Nguyễn Hữu Thọ, xã Bến Lức, tỉnh Tây Ninh",
            "code": "UBND-BL",
        },
        "partner": {
            "name": "Công ty TNHH May mặc Bến Lức",
            "tax_code": "0312345678",
            "address": "Lô C3, Khu công nghiệp Thuận Đạo, xã Bến Lức, tỉnh Tây Ninh",
        },
        "authority_signatory": {"name": "Võ Minh Tâm", "position": "Chủ tịch"},
        "partner_signatory": {"name": "Nguyễn Thị Hoa", "position": "Giám đốc"},
        "pledges": lines,
        "pledged_total": sum(line["quantity"] for line in lines),
        "term_start": "ngày 01 tháng 04 năm 2027",
        "term_end": "ngày 31 tháng 03 năm 2030",
        "mid_review_date": "ngày 30 tháng 09 năm 2028",
        "final_review_date": "ngày 28 tháng 02 năm 2030",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def converter_pool(size: int) -> Iterator[list[int]]:
    """Start `size` converters on free ports; yield the ports; stop them all at the end.
    Raises convert.UnoserverUnavailable when one cannot start (no LibreOffice)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(size):
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="benchmark-uno-"))
            port = _free_port()
            server = convert.start_unoserver(port, Path(profile))
            stack.callback(convert.stop_unoserver, server)
            ports.append(port)
        yield ports


def documents_per_second(produce, *, callers: int, count: int) -> float:
    """`count` documents made by `callers` callers at once, per second of wall clock."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(lambda _: produce(), range(count)))
    return count / (time.perf_counter() - started)


class DocumentsBenchmark(Benchmark):
    name = "documents"
    help = (
        "template filling, DOCX to PDF conversion (cold, warm), documents per second with one "
        "converter and with a pool, and the wait from Save to the PDF link"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--documents",
            type=whole_number(minimum=2),
            default=40,
            help="Documents converted for each throughput figure (default 40).",
        )
        parser.add_argument(
            "--converters",
            type=whole_number(minimum=1),
            default=3,
            help="Converters (and callers) in the pool figures (default 3).",
        )

    def run(self, session: Session) -> Iterator[Figure]:
        template = (settings.BASE_DIR / "mou_templates" / "bgn_vi.docx").read_bytes()
        context = mou_context()
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

        size = session.options["converters"]
        session.log(f"Starting {size} warm converters (unoserver)…")
        try:
            with converter_pool(size) as ports:
                yield from self._warm_figures(session, template, context, ports)
                from partnerships.devtools.documents_wait import save_to_pdf_link_figures

                yield from save_to_pdf_link_figures(session, ports)
        except convert.UnoserverUnavailable as error:
            session.log(f"No warm converter: {error}")
            yield Figure("documents.warm_unavailable", 1, "flag")

    def _warm_figures(self, session, template, context, ports) -> Iterator[Figure]:
        def produce(on: list[int]):
            def one() -> bytes:
                pdf = convert.convert_docx_to_pdf(
                    fill_template(template, context), unoserver_host=HOST, unoserver_ports=on
                )
                return prepare_signable_pdf(pdf)

            return one

        warm = time_runs(produce(ports[:1]), runs=session.runs)
        yield Figure.under(
            "documents.warm_fill_convert_fields_median",
            round(median(warm.wall), 1),
            "ms",
            WARM_TARGET_MS,
            how=FUNCTION,
            runs=len(warm.wall),
        )
        count = session.options["documents"]
        session.log(f"{count} documents with one worker and one converter…")
        one = documents_per_second(produce(ports[:1]), callers=1, count=count)
        yield Figure(
            "documents.one_worker_per_second", round(one, 2), "docs/s", how=FUNCTION, runs=count
        )
        session.log(f"{count} documents with {len(ports)} workers and {len(ports)} converters…")
        pooled = documents_per_second(produce(ports), callers=len(ports), count=count)
        yield Figure.at_least(
            f"documents.pool_{len(ports)}_per_second",
            round(pooled, 2),
            "docs/s",
            POOL_THROUGHPUT_TARGET,
            how=FUNCTION,
            runs=count,
        )
