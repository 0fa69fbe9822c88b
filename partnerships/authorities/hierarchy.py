"""The tree of authorities, read in one query and walked in memory.

Authorities number in the thousands at most, so loading them all once per request is
cheaper and clearer than a recursive SQL query on both SQLite and PostgreSQL. The same
tree answers who may see what (permissions.py) and how reports roll figures up (reports/).

Two relations shape it: `parent` (commune or department under its province) and
`successor` (a body dissolved by the 2025 reform and the one that now looks after its MoUs).
Whatever a dissolved body signed counts, in scope and in reports, under its successor.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from partnerships.models import Authority, AuthorityLevel

Body = TypeVar("Body", Authority, "Node")


def _follow_successors(body: Body, successor_of: Callable[[Body], Body | None]) -> Body:
    """The successor chain walked once for every caller: from a body to the one now in
    charge of its MoUs (a district merged into another that was merged in turn). A cycle
    entered by hand in the admin stops the walk where it closes."""
    seen = set()
    while body.id not in seen:
        seen.add(body.id)
        successor = successor_of(body)
        if successor is None:
            break
        body = successor
    return body


def authority_in_charge(authority: Authority) -> Authority:
    """The authority now in charge of what `authority` signed: itself, or the successor of
    a dissolved one (one query a step unless `successor` was selected along)."""
    return _follow_successors(
        authority,
        lambda body: body.successor if body.is_dissolved and body.successor_id else None,
    )


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    level: str
    parent_id: int | None
    successor_id: int | None
    is_dissolved: bool

    @property
    def is_merged_away(self) -> bool:
        """Dissolved, with a successor that took over its MoUs."""
        return self.is_dissolved and self.successor_id is not None


class AuthorityTree:
    def __init__(self, nodes: list[Node]):
        self.nodes = {node.id: node for node in nodes}
        self._children = defaultdict(list)
        self._predecessors = defaultdict(list)
        for node in nodes:
            if node.parent_id in self.nodes:
                self._children[node.parent_id].append(node.id)
            if node.successor_id in self.nodes:
                self._predecessors[node.successor_id].append(node.id)

    @classmethod
    def load(cls) -> "AuthorityTree":
        rows = Authority.objects.order_by("name", "id").values_list(
            "id", "name", "level", "parent_id", "successor_id", "is_dissolved"
        )
        return cls([Node(*row) for row in rows])

    def __contains__(self, authority_id) -> bool:
        return authority_id in self.nodes

    def name(self, authority_id: int) -> str:
        return self.nodes[authority_id].name

    def in_charge(self, authority_id: int) -> int:
        """The id of the authority now in charge of what this one signed (see
        authority_in_charge), walked in memory."""
        return _follow_successors(
            self.nodes[authority_id],
            lambda node: self.nodes.get(node.successor_id) if node.is_dissolved else None,
        ).id

    def predecessors(self, authority_id: int) -> set[int]:
        """The dissolved bodies whose MoUs this authority took over, directly or through
        another one (a district merged twice)."""
        found: set[int] = set()
        pending = list(self._predecessors[authority_id])
        while pending:
            current = pending.pop()
            if current in found or current == authority_id:
                continue
            found.add(current)
            pending.extend(self._predecessors[current])
        return found

    def subtree(self, root_id: int) -> set[int]:
        """The root, every authority under it, and dissolved ones whose successor is inside."""
        scope: set[int] = set()
        pending = [root_id]
        while pending:
            current = pending.pop()
            if current in scope or current not in self.nodes:
                continue
            scope.add(current)
            pending.extend(self._children[current])
            # A dissolved body's MoUs are looked after by its successor.
            pending.extend(self._predecessors[current])
        return scope

    def province_of(self, authority_id: int) -> int:
        """The province above an authority (itself when it is one, or the top of its branch)."""
        current, seen = self.nodes[authority_id], set()
        while current.parent_id in self.nodes and current.level != AuthorityLevel.PROVINCE:
            if current.id in seen:  # a cycle entered by hand in the admin: stop where we are
                break
            seen.add(current.id)
            current = self.nodes[current.parent_id]
        return current.id

    def roots(self, within: set[int] | None = None) -> list[int]:
        """The highest authorities of `within` (all when None): none of their ancestors is in
        it. A dissolved body that was merged away is never a root: its successor stands for it."""
        within = set(self.nodes) if within is None else within
        roots = []
        for authority_id in within:
            node = self.nodes.get(authority_id)
            if node is None or node.is_merged_away:
                continue
            if not any(ancestor in within for ancestor in self.ancestors(authority_id)):
                roots.append(authority_id)
        return sorted(roots, key=lambda pk: (self.nodes[pk].name, pk))

    def ancestors(self, authority_id: int) -> list[int]:
        found, current = [], self.nodes[authority_id].parent_id
        while current in self.nodes and current not in found and current != authority_id:
            found.append(current)
            current = self.nodes[current].parent_id
        return found

    def branches(self, root_id: int) -> list[tuple[int, set[int]]]:
        """How a root's figures split one level down: each child with its whole subtree.

        A dissolved body merged into another is not a branch of its own (its MoUs are in its
        successor's subtree), so no MoU is counted twice. The root's own MoUs (and those of
        the bodies it succeeded) are the first branch, keyed by the root itself.
        """
        own = {root_id} | self._merged_into(root_id)
        branches = [(root_id, own)]
        taken = set(own)
        for child_id in sorted(self._children[root_id], key=lambda pk: self.nodes[pk].name):
            if self.nodes[child_id].is_merged_away or child_id in taken:
                continue
            subtree = self.subtree(child_id) - taken
            taken |= subtree
            branches.append((child_id, subtree))
        return branches

    def _merged_into(self, authority_id: int) -> set[int]:
        """Dissolved bodies whose MoUs this authority took over, transitively, with their
        own subtrees."""
        merged: set[int] = set()
        for predecessor in self._predecessors[authority_id]:
            merged |= self.subtree(predecessor)
        return merged

    def choices(self, within: set[int] | None = None) -> list[tuple[int, str]]:
        """(id, name) for a select, in tree order: each root followed by what is under it."""
        within = set(self.nodes) if within is None else within
        ordered: list[tuple[int, str]] = []
        seen: set[int] = set()

        def visit(authority_id: int, depth: int) -> None:
            if authority_id in seen:
                return
            seen.add(authority_id)
            shown = authority_id in within
            if shown:
                ordered.append((authority_id, "\u2003" * depth + self.nodes[authority_id].name))
            for child in sorted(self._children[authority_id], key=lambda pk: self.nodes[pk].name):
                visit(child, depth + 1 if shown else depth)

        for root in sorted(
            (pk for pk, node in self.nodes.items() if node.parent_id not in self.nodes),
            key=lambda pk: self.nodes[pk].name,
        ):
            visit(root, 0)
        return ordered
