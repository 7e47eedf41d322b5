"""The attacker's linear programs: one model per block, re-solved with only the objective changed.

Each bound is checked against a value worked out by hand, in several orders, so
that a bound never depends on which bound was solved before on the same model.
"""

from __future__ import annotations

import numpy as np
import pytest

from swps_pipeline.publish.suppression import CellModel, Relation, _Attacker, interval


def block() -> tuple[CellModel, set[int], set[int]]:
    """total 10 = a 2 + b 3 + c 5, with a and b small ("<5": 1 to 4) and c hidden (at least 1);
    d 7 >= a + e, e 1 small, a breakdown reported in part (an inequality with an unpublished rest)."""
    model = CellModel()
    for key, value in [("total", 10), ("a", 2), ("b", 3), ("c", 5), ("d", 7), ("e", 1)]:
        model.cell(key, value)
    model.relate("total", ["a", "b", "c"])
    model.relate("d", ["a", "e"], complete=False)
    index = model.index
    return model, {index["a"], index["b"], index["c"], index["e"]}, {index["a"], index["b"], index["e"]}


# By hand: a, b in [1, 4] and c >= 1 with a + b + c = 10, so c in [10 - 8, 10 - 2] = [2, 8]; a is also
# held by d 7 >= a + e with e >= 1, which allows any a up to 6: its own label (<= 4) is the tighter bound.
EXPECTED = {"a": (1.0, 4.0), "b": (1.0, 4.0), "c": (2.0, 8.0), "e": (1.0, 4.0)}


@pytest.mark.parametrize("order", [["a", "b", "c", "e"], ["c", "e", "b", "a"], ["e", "a", "c", "b", "a", "c"]])
def test_each_bound_of_a_reused_model_is_the_hand_computed_one_in_any_order(order):
    model, hidden, small = block()
    attacker = _Attacker(model, hidden, small, model.relations)
    for key in order:
        assert attacker.interval(model.index[key]) == EXPECTED[key]


def test_a_cell_free_above_is_unbounded_and_the_next_bound_is_unaffected():
    model, hidden, small = block()
    model.relations.append(Relation(model.index["d"], (model.index["c"],), exact=False))  # c <= d = 7 as well
    attacker = _Attacker(model, hidden, small, model.relations)
    free = CellModel()  # total (hidden, at least 1) >= part 2 (published): total in [2, infinity)
    free.cell("total", 6)
    free.cell("part", 2)
    free.relate("total", ["part"], complete=False)
    assert interval(free, {0}, set(), 0, free.relations) == (2.0, np.inf)
    assert attacker.interval(model.index["c"]) == (2.0, 7.0)
    assert attacker.interval(model.index["a"]) == (1.0, 4.0)


def test_wide_enough_follows_the_protection_width():
    """total 3 = a 2 + b 1, both "<5": a in [1, 2], too narrow; in the block above a is in [1, 4]."""
    pinned = CellModel()
    for key, value in [("total", 3), ("a", 2), ("b", 1)]:
        pinned.cell(key, value)
    pinned.relate("total", ["a", "b"])
    attacker = _Attacker(pinned, {1, 2}, {1, 2}, pinned.relations)
    assert attacker.interval(1) == (1.0, 2.0)
    assert not attacker.wide_enough(1, 2)
    model, hidden, small = block()
    assert _Attacker(model, hidden, small, model.relations).wide_enough(model.index["a"], 2)
