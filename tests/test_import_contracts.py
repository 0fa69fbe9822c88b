"""Our own import-linter contract type finds modules that import each other."""

import grimp

from tests.import_contracts import _cycles


def graph_of(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_it_names_the_modules_of_a_cycle_through_a_third():
    graph = graph_of(("app.a", "app.b"), ("app.b", "app.c"), ("app.c", "app.a"), ("app.c", "app.d"))
    assert _cycles(graph, set(graph.modules)) == [["app.a", "app.b", "app.c"]]


def test_imports_that_point_one_way_are_no_cycle():
    graph = graph_of(("app.views", "app.services"), ("app.services", "app.models"))
    assert _cycles(graph, set(graph.modules)) == []
