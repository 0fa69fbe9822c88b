"""An import-linter contract type of our own: no import cycle between modules.

import-linter's `acyclic_siblings` judges packages as wholes, and our domain packages rightly
lean on each other (mous' pages show signing, signing changes an MoU's state); what must not
happen is two modules that need each other, which hides which one is the lower layer. Used by
`[tool.importlinter]` in pyproject.toml; `lint-imports` runs it from scripts/test.sh.
"""

from importlinter import Contract, ContractCheck, fields, output


def _cycles(graph, modules: set[str]) -> list[list[str]]:
    """The groups of modules that import each other (Tarjan's strongly connected components)."""
    imports = {
        module: sorted(graph.find_modules_directly_imported_by(module) & modules)
        for module in modules
    }
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in imports[module]:
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return sorted(groups)


class AcyclicModulesContract(Contract):
    """No module of `packages` reaches itself through the modules it imports."""

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())
    ignore_packages = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        ignored = tuple(self.ignore_packages or ())
        modules = {
            module
            for package in self.packages
            for module in graph.find_descendants(package) | {package}
            if not module.startswith(ignored)
        }
        groups = _cycles(graph, modules)
        return ContractCheck(kept=not groups, metadata={"cycles": groups})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for group in check.metadata["cycles"]:
            output.print_error("These modules import each other: " + ", ".join(group))
            output.new_line()
