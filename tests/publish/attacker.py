"""The attacker of the disclosure audit, written apart from `publish.suppression`.

It reads the tables as published (labels and numbers), writes down every
linear relation a reader knows (a fully reported breakdown adds up to its
total, départements add up to the nation, a published share times its
published denominator is the numerator) and, with `scipy.optimize.linprog`
(or `milp`, in whole numbers), finds the smallest and largest value each hidden
small count can take. It reads the labels as the published rule states them:
"<5" is 1 to 4, "[c]" (a count hidden as a complement) 5 or more, except for
the small counts of a group of counts all hidden, shown as "[c]" too (the
rule's exception): those it takes for 1 or more.

The rule it checks: every true count of 1 to 4 is hidden and its interval is
at least 2 wide (at least three whole values remain possible).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import lil_matrix

from swps_pipeline import contract

SMALL, HIDDEN = "<5", "[c]"
THRESHOLD = 5
COUNTS = contract.COUNT_COLUMNS


def _cells(published: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame]):
    """(shown, true) by cell key ('department' | 'national', code, year, column)."""
    shown, true = {}, {}
    for name, level in (("department_year", "department"), ("national_year", "national")):
        if name not in published:
            continue
        frame, real = published[name], truth[name]
        codes = frame["department_code"] if level == "department" else [""] * len(frame)
        for row, (code, year) in enumerate(zip(codes, frame["year"])):
            for column in [c for c in COUNTS if c in frame.columns]:
                key = (level, str(code), int(year), column)
                shown[key] = frame[column].iloc[row]
                true[key] = real[column].iloc[row]
    return shown, true


def _relations(true: dict) -> list[tuple[tuple, list[tuple], bool]]:
    """(total, parts, exact) as a reader knows them; only what the true data satisfy."""
    relations = []
    scopes = {key[:3] for key in true}
    for scope in scopes:
        for total, members, _ in contract.SUM_GROUPS.values():
            relations.append(((*scope, total), [(*scope, m) for m in members], True))
    by_nation = defaultdict(list)
    for key in true:
        if key[0] == "department":
            by_nation[("national", "", key[2], key[3])].append(key)
    relations += [(total, parts, True) for total, parts in by_nation.items() if total in true]
    kept = []
    for total, parts, _ in relations:
        parts = [p for p in parts if p in true]
        if total not in true or not parts:
            continue
        value = lambda k: 0 if pd.isna(true[k]) else int(true[k])  # noqa: E731
        gap = value(total) - sum(value(p) for p in parts)
        if gap >= 0:
            kept.append((total, parts, gap == 0))
    return kept


def _bounds(shown: object, value: object) -> tuple[float, float | None] | float:
    """What a reader knows of a cell shown as `shown` whose true value is `value`."""
    if shown == SMALL:
        return (1, 4)
    if shown == HIDDEN:
        return (THRESHOLD if value >= THRESHOLD else 1, None)
    return 0.0 if shown is None or (isinstance(shown, float) and np.isnan(shown)) or shown == "" else float(shown)


def intervals(published: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame],
              integer: bool = False) -> dict[tuple, tuple]:
    """For every true small count: (true value, shown, smallest, largest) an attacker can reach (in whole
    numbers when `integer`)."""
    shown, true = _cells(published, truth)
    known = {key: _bounds(value, true[key]) for key, value in shown.items()}
    relations = [r for r in _relations(true) if not r[2] or any(isinstance(known[k], tuple) for k in (r[0], *r[1]))]
    result = {}
    for block in _blocks(relations, known):
        result.update(_solve(block, known, true, integer))
    for key, value in true.items():
        if not pd.isna(value) and 1 <= value <= 4 and key not in result:
            low, high = known[key] if isinstance(known[key], tuple) else (known[key], known[key])
            result[key] = (int(value), shown[key], float(low), float(high))
    return {key: (value, shown[key], low, high) for key, (value, _, low, high) in result.items()}


def _blocks(relations: list, known: dict) -> list[list]:
    """Relations that share an unknown cell (or a slack) are solved together."""
    parent = list(range(len(relations)))
    owner: dict[tuple, int] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, (total, parts, _) in enumerate(relations):
        for key in (total, *parts):
            if isinstance(known[key], tuple):
                if key in owner:
                    parent[root(i)] = root(owner[key])
                else:
                    owner[key] = i
    groups = defaultdict(list)
    for i, relation in enumerate(relations):
        groups[root(i)].append(relation)
    return list(groups.values())


def _solve(relations: list, known: dict, true: dict, integer: bool = False) -> dict[tuple, tuple]:
    unknown = sorted({k for r in relations for k in (r[0], *r[1]) if isinstance(known[k], tuple)})
    column = {key: i for i, key in enumerate(unknown)}
    slack = {i: len(unknown) + n for n, i in enumerate(i for i, r in enumerate(relations) if not r[2])}
    matrix = lil_matrix((len(relations), len(unknown) + len(slack)))
    rhs = np.zeros(len(relations))
    for row, (total, parts, exact) in enumerate(relations):
        for key, sign in [(total, 1), *((p, -1) for p in parts)]:
            if key in column:
                matrix[row, column[key]] += sign
            else:
                rhs[row] -= sign * known[key]
        if not exact:
            matrix[row, slack[row]] = -1
    bounds = [known[key] for key in unknown] + [(0, None)] * len(slack)
    matrix = matrix.tocsr()
    result = {}
    for key in unknown:
        value = true[key]
        if pd.isna(value) or not 1 <= value <= 4:
            continue
        objective = np.zeros(matrix.shape[1])
        objective[column[key]] = 1
        if integer:
            result[key] = (int(value), None, *whole_interval(objective, matrix, rhs, rhs, bounds))
            continue
        low = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=rhs, bounds=bounds, method="highs")
        assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
        result[key] = (int(value), None, low.fun, np.inf if high.status == 3 else -high.fun)
    return result


def whole_interval(objective: np.ndarray, matrix, low: np.ndarray, high: np.ndarray,
                   bounds: list[tuple]) -> tuple[float, float]:
    """The smallest and largest whole value of `objective` · x over whole x with `low` <= matrix x <= `high`
    and x within `bounds` ((lower, upper or None) by variable)."""
    lower = np.array([b[0] for b in bounds], dtype=float)
    upper = np.array([np.inf if b[1] is None else b[1] for b in bounds], dtype=float)
    constraints = LinearConstraint(matrix, low, high)
    ends = []
    for sign in (1, -1):
        found = milp(sign * objective, constraints=constraints, integrality=np.ones(len(lower)),
                     bounds=Bounds(lower, upper))
        assert found.status in (0, 3), found.message  # 3: unbounded (above)
        ends.append(sign * found.fun if found.status == 0 else np.inf)
    return ends[0], ends[1]


def exposed(found: dict[tuple, tuple], width: float = 2) -> dict[tuple, tuple]:
    """The small counts left unhidden or narrowed to an interval less than `width` wide."""
    return {key: item for key, item in found.items() if item[3] - item[2] < width - 1e-6}
