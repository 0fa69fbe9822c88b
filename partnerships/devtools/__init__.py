"""Measuring code behind `python manage.py benchmark`, one module per area.

To add figures (documents, signing, reports …), write a module here with a `Benchmark`
subclass (see `mou_list.py`) and list it in AREAS. All areas run, in this order, in one
throw-away database (`database.py`); `dataset.session_dataset()` gives each the generated
registry, and `web.PageProbe` times real pages.
"""

from importlib import import_module

from partnerships.devtools.base import Benchmark, Figure, Session

AREAS = [
    "partnerships.devtools.mou_list.MouListBenchmark",
    "partnerships.devtools.documents.DocumentsBenchmark",
    "partnerships.devtools.reports.ReportsBenchmark",
    "partnerships.devtools.funnel.FunnelBenchmark",
    "partnerships.devtools.imports.ImportsBenchmark",
    "partnerships.devtools.signing.SigningBenchmark",
    "partnerships.devtools.load_benchmark.LoadBenchmark",
]


def registered() -> list[Benchmark]:
    """One instance of every area's benchmark, in the order they run."""
    benchmarks = []
    for path in AREAS:
        module_path, class_name = path.rsplit(".", 1)
        benchmarks.append(getattr(import_module(module_path), class_name)())
    return benchmarks


__all__ = ["AREAS", "Benchmark", "Figure", "Session", "registered"]
