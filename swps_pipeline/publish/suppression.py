"""Complementary cell suppression that holds against arithmetic.

The published counts are tied by linear relations (a breakdown adds up to its
total, the départements add up to the nation, a share times its denominator
is its numerator). Hiding only the small counts (primary suppression) lets a
reader recover them by subtraction. This module hides enough further cells
(secondary, or complementary, suppression) that no small count can be worked
out, following the linear-programming approach of τ-Argus and `sdcTable`
(Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4):

1. every relation with exactly one hidden cell gets a second one (the
   smallest publishable cell of the relation: least information lost);
2. then the attacker is played: for each hidden small count, a linear
   program over every relation of its connected block finds the smallest
   and largest values it can take given what is published; a cell whose
   interval is narrower than `PROTECTION_WIDTH` gets one more complement,
   the smallest cell next to it in the relations, and the audit runs again.

The attacker knows every published value, every relation, and what the labels
say: a cell shown as "<5" holds 1 to 4, any other hidden cell 5 or more (small
counts are labelled "<5"; zeros are published and never hidden). The rule
(`PROTECTION_WIDTH`): for every small count the interval is at least 2 wide, so
at least three whole values stay possible. Where the "<5" labels alone would
narrow a count further and no published cell is left to hide (a "<5" total of
three "<5" parts, nothing else around), those small counts are shown as hidden
cells instead (the published rule says so), which a reader can then only
bound below by 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

from swps_pipeline.assumptions import DISCLOSURE_THRESHOLD
from swps_pipeline.parallel import parallel_map
from swps_pipeline.reuse import Reuse, compute_afresh

#: The narrowest interval an attacker may be left with for a hidden small count
#: (2: at least three whole values remain possible, a guess is right at most once in three).
PROTECTION_WIDTH = 2
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    """`total = sum(parts)` when `exact`; `total >= sum(parts)` when contributions are unpublished."""

    total: int
    parts: tuple[int, ...]
    exact: bool = True

    @property
    def cells(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


@dataclass
class CellModel:
    """The published counts (by key), the `unpublished` ones a reader can bound through the relations (the
    difference between two published counts: one or a few positions' count), and the relations between them."""

    values: list[int] = field(default_factory=list)
    keys: list[Hashable] = field(default_factory=list)
    index: dict[Hashable, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    unpublished: set[int] = field(default_factory=set)

    def cell(self, key: Hashable, value: int, published: bool = True) -> int:
        """The index of the cell `key`, registered with `value` the first time it is seen."""
        if key not in self.index:
            self.index[key] = len(self.values)
            self.keys.append(key)
            self.values.append(int(value))
            if not published:
                self.unpublished.add(self.index[key])
        return self.index[key]

    def relate(self, total: Hashable, parts: Iterable[Hashable], complete: bool = True) -> None:
        """Record `total = sum(parts)` (`complete`) or `total >= sum(parts)`, both as the data have them.

        A relation the data do not satisfy (a breakdown reported only in part)
        is recorded as the inequality it does satisfy, or not at all.
        """
        part_ids = tuple(self.index[key] for key in parts if key in self.index)
        if total not in self.index or not part_ids:
            return
        total_id = self.index[total]
        gap = self.values[total_id] - sum(self.values[i] for i in part_ids)
        if gap < 0:
            return
        self.relations.append(Relation(total_id, part_ids, exact=complete and gap == 0))

    def primary(self) -> set[int]:
        """The small counts to protect, published (shown as "<5") or not."""
        return {i for i, value in enumerate(self.values) if 1 <= value < DISCLOSURE_THRESHOLD}


@dataclass(frozen=True)
class Suppression:
    """What to hide: `small` cells are shown as "<5", the other `hidden` cells as hidden."""

    hidden: frozenset[int]
    small: frozenset[int]


def protect(model: CellModel, reuse: Reuse = compute_afresh) -> Suppression:
    """The cells to hide: the small counts and enough complements that each one stays protected.

    Cells no relation links are protected apart, block by block: every step of
    `protect_block` stays within the relations of a cell, so the result is the
    one of protecting the whole model at once (tests/publish/test_suppression.py
    checks it), but each audit pass spans one block instead of every cell.
    `reuse` wraps each block's protection: a block's cells are numbered from 0
    whatever the rest of the model, so a correction of one year re-solves only
    the blocks whose values or relations it changed, and the blocks' keys
    (numbers, no cell names) cost a fraction of the whole model's (issue 17).
    The blocks are solved in processes forked from this one (`parallel_map`).
    """
    hidden: set[int] = set(model.unpublished)  # as in `protect_block`, also in blocks with no small count
    small: set[int] = set()
    protect_one = reuse(protect_block)
    blocks = _blocks(model)
    if blocks:
        import highspy  # noqa: F401  (the solver, imported once here rather than in each forked process)
    results = parallel_map(lambda cells: protect_one(_block_model(model, cells)), blocks)
    for cells, result in zip(blocks, results):
        hidden |= {cells[i] for i in result.hidden}
        small |= {cells[i] for i in result.small}
    return Suppression(frozenset(hidden), frozenset(small))


def _blocks(model: CellModel) -> list[list[int]]:
    """The cells of every connected block holding a small count, in increasing order."""
    parent = list(range(len(model.values)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for relation in model.relations:
        for c in relation.cells[1:]:
            parent[root(c)] = root(relation.total)
    blocks: dict[int, list[int]] = defaultdict(list)
    for c in range(len(model.values)):
        blocks[root(c)].append(c)
    primary = model.primary()
    return [cells for cells in blocks.values() if not primary.isdisjoint(cells)]


def _block_model(model: CellModel, cells: list[int]) -> CellModel:
    """The block of `cells` (increasing) as a model of its own, its cells numbered in the same order (the
    choices between equal cells follow their numbers)."""
    number = {c: i for i, c in enumerate(cells)}
    block = CellModel(values=[model.values[c] for c in cells], keys=list(range(len(cells))))
    block.index = {i: i for i in range(len(cells))}
    block.relations = [Relation(number[r.total], tuple(number[c] for c in r.parts), r.exact)
                       for r in model.relations if r.total in number]
    block.unpublished = {number[c] for c in model.unpublished if c in number}
    return block


def protect_block(model: CellModel) -> Suppression:
    """`protect` over the whole of `model`, as one block.

    Hiding more cells only widens an attacker's intervals, so a small count
    found protected is not audited again. Unpublished cells are hidden from the start, and audited when small.
    """
    hidden, small = model.primary() | model.unpublished, model.primary() - model.unpublished
    by_cell: dict[int, list[Relation]] = defaultdict(list)
    for relation in model.relations:
        for c in relation.cells:
            by_cell[c].append(relation)
    pending = sorted(model.primary())
    while pending:
        _close_single_hidden(model, hidden)
        attack = attack_relations(model, hidden)
        systems: dict[int, _Attacker] = {}
        still = []
        for cell in pending:
            relations = attack.get(cell, [])
            if not relations:  # nothing published relates to it: its label is all there is
                continue
            if id(relations) not in systems:  # one model per block
                systems[id(relations)] = _Attacker(model, hidden, small, relations)
            system = systems[id(relations)]
            if not system.wide_enough(cell, model.values[cell]):
                still.append(cell)
        for cell in still:
            complement = _nearest_complement(model, hidden, cell, by_cell)
            if complement is not None:
                hidden.add(complement)
            else:  # everything around is hidden: the "<5" labels themselves give the cell away
                small -= {c for relation in attack.get(cell, []) for c in relation.cells} | {cell}
        pending = still
    return Suppression(frozenset(hidden), frozenset(small))


def protected(bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return high - low >= PROTECTION_WIDTH - _TOLERANCE


def attack_relations(model: CellModel, hidden: set[int]) -> dict[int, list[Relation]]:
    """For every hidden cell, the relations an attacker can combine to bound it: those linked to it
    through hidden cells or unpublished contributions (relations of published cells only are constants)."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    linked = []
    for number, relation in enumerate(model.relations):
        nodes = [c for c in relation.cells if c in hidden] + ([] if relation.exact else [-1 - number])
        if nodes:
            for node in nodes[1:]:
                parent[root(node)] = root(nodes[0])
            linked.append((relation, nodes[0]))
    by_root: dict[int, list[Relation]] = defaultdict(list)
    for relation, node in linked:
        by_root[root(node)].append(relation)
    return {c: by_root[root(c)] for c in hidden if root(c) in by_root}


def interval(
    model: CellModel, hidden: set[int], small: set[int], cell: int, relations: list[Relation]
) -> tuple[float, float]:
    """The attacker's smallest and largest value of hidden `cell` from `relations`."""
    return _Attacker(model, hidden, small, relations).interval(cell)


def least_value(model: CellModel, small: set[int], cell: int) -> int:
    """The smallest value a reader can give hidden `cell` from its label: 1 for a "<5" cell and for a small
    count shown as hidden (the rule's exception), the threshold for any other hidden cell (a count shown
    as hidden is not one of the small counts, always labelled "<5"); 0 for an unpublished cell (no label)."""
    if cell in model.unpublished:
        return 0
    return 1 if cell in small or model.values[cell] < DISCLOSURE_THRESHOLD else DISCLOSURE_THRESHOLD


class _Attacker:
    """The linear system an attacker solves over one block of relations (linear relaxation, as
    τ-Argus): hidden cells hold what their labels say (`least_value`, and at most 4 for those in
    `small`), unpublished contributions at least 0; published cells are constants.

    The block's model is handed to HiGHS once; each bound changes only the objective and is
    re-solved from the previous optimal basis (rebuilding the model for each of the thousands of
    bounds cost most of the evaluation pack's time). An LP's optimal value is unique, so the bounds
    are those of a fresh solve.
    """

    def __init__(self, model: CellModel, hidden: set[int], small: set[int], relations: list[Relation]) -> None:
        from highspy import HighsLp, HighsModelStatus, MatrixFormat, kHighsInf

        variables = sorted({c for relation in relations for c in relation.cells if c in hidden})
        self.position = {c: i for i, c in enumerate(variables)}
        entries: dict[tuple[int, int], int] = defaultdict(int)  # (column, row) -> coefficient
        rhs = np.zeros(len(relations))
        slacks = 0
        for row, relation in enumerate(relations):
            for c, sign in [(relation.total, 1), *((p, -1) for p in relation.parts)]:
                if c in self.position:
                    entries[self.position[c], row] += sign
                else:
                    rhs[row] -= sign * model.values[c]
            if not relation.exact:
                entries[len(variables) + slacks, row] = -1
                slacks += 1
        columns = len(variables) + slacks
        lp = HighsLp()
        lp.num_col_, lp.num_row_ = columns, len(relations)
        lp.col_cost_ = np.zeros(columns)
        lp.col_lower_ = np.array([least_value(model, small, c) for c in variables] + [0] * slacks, dtype=float)
        lp.col_upper_ = np.array([DISCLOSURE_THRESHOLD - 1 if c in small else kHighsInf for c in variables]
                                 + [kHighsInf] * slacks, dtype=float)
        lp.row_lower_ = lp.row_upper_ = rhs
        nonzero = sorted(key for key, value in entries.items() if value)  # a cell on both sides cancels out
        lp.a_matrix_.format_ = MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted([column for column, _ in nonzero], np.arange(columns + 1))
        lp.a_matrix_.index_ = np.array([row for _, row in nonzero], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([entries[key] for key in nonzero], dtype=float)
        self.lp = lp
        self.solver = self._fresh_solver()
        self.status = HighsModelStatus

    def _fresh_solver(self):
        from highspy._core import _Highs  # the bare solver: the public wrapper prints a banner on stdout

        solver = _Highs()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("threads", 1)  # serial simplex: no worker threads alive at exit (they abort it)
        solver.passModel(self.lp)
        return solver

    def interval(self, cell: int) -> tuple[float, float]:
        return self._extreme(cell, 1), self._extreme(cell, -1)

    def wide_enough(self, cell: int, value: int) -> bool:
        """`protected(self.interval(cell))`, with one linear program when the largest value decides
        (the true `value` is always feasible, and the cell is at least its label's least value)."""
        high = self._extreme(cell, -1)
        if high - value >= PROTECTION_WIDTH - _TOLERANCE:
            return True
        if high - self.lp.col_lower_[self.position[cell]] < PROTECTION_WIDTH - _TOLERANCE:
            return False
        return protected((self._extreme(cell, 1), high))

    def _extreme(self, cell: int, sign: int) -> float:
        """The smallest (`sign` 1) or largest (-1) value of `cell`: minimise `sign` × cell. A re-solve that
        ends in another state than optimal or unbounded (HiGHS can stop at "unknown" from a previous basis)
        is solved again from scratch before it counts as a failure."""
        status, optimum = self._solve(self.position[cell], sign)
        if status not in (self.status.kOptimal, self.status.kUnbounded, self.status.kUnboundedOrInfeasible):
            self.solver = self._fresh_solver()
            status, optimum = self._solve(self.position[cell], sign)
        if status in (self.status.kUnbounded, self.status.kUnboundedOrInfeasible):  # the true values are feasible
            return -sign * np.inf
        if status != self.status.kOptimal:
            raise RuntimeError(f"disclosure control: linear program failed ({self.solver.modelStatusToString(status)})")
        return sign * optimum

    def _solve(self, column: int, sign: int):
        self.solver.changeColCost(column, sign)
        self.solver.run()
        status, optimum = self.solver.getModelStatus(), self.solver.getInfo().objective_function_value
        self.solver.changeColCost(column, 0)  # (clears the status just read)
        return status, optimum


def _cost(model: CellModel, cell: int) -> tuple[bool, int, int]:
    """Prefer publishable cells (hiding a small one protects little), then the smallest."""
    value = model.values[cell]
    return (value < DISCLOSURE_THRESHOLD, value, cell)


def _close_single_hidden(model: CellModel, hidden: set[int]) -> None:
    """Give every exact relation with a single hidden cell a second one, until none is left; an unpublished
    cell that is no small count needs none (it is in no other relation: knowing it tells nothing more)."""
    exempt = model.unpublished - model.primary()
    changed = True
    while changed:
        changed = False
        for relation in model.relations:
            alone = [c for c in relation.cells if c in hidden]
            if not relation.exact or len(alone) != 1 or alone[0] in exempt:
                continue
            candidates = [c for c in relation.cells if c not in hidden and model.values[c] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda c: _cost(model, c)))
                changed = True


def _nearest_complement(
    model: CellModel, hidden: set[int], cell: int, by_cell: dict[int, list[Relation]]
) -> int | None:
    """The cheapest published non-zero cell sharing a relation with `cell` or, failing that,
    with the hidden cells around it (breadth first)."""
    seen, frontier = {cell}, [cell]
    while frontier:
        around = {c for f in frontier for relation in by_cell[f] for c in relation.cells} - seen
        candidates = [c for c in around if c not in hidden and model.values[c] > 0]
        if candidates:
            return min(candidates, key=lambda c: _cost(model, c))
        seen |= around
        frontier = [c for c in around if c in hidden]
    return None
