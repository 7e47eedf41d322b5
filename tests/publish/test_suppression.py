"""The attacker's linear programs: one model per block, re-solved with only the objective changed.

Each bound is checked against a value worked out by hand, in several orders, so
that a bound never depends on which bound was solved before on the same model.
"""

from __future__ import annotations

import json
import random
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swps_pipeline.publish.suppression import CellModel, Relation, _Attacker, interval, protect, protect_block
from swps_pipeline.reuse import reused


def block() -> tuple[CellModel, set[int], set[int]]:
    """total 10 = a 2 + b 3 + c 5, with a and b small ("<5": 1 to 4) and c hidden ("[c]": 5 or more);
    d 7 >= a + e, e 1 small, a breakdown reported in part (an inequality with an unpublished rest)."""
    model = CellModel()
    for key, value in [("total", 10), ("a", 2), ("b", 3), ("c", 5), ("d", 7), ("e", 1)]:
        model.cell(key, value)
    model.relate("total", ["a", "b", "c"])
    model.relate("d", ["a", "e"], complete=False)
    index = model.index
    return model, {index["a"], index["b"], index["c"], index["e"]}, {index["a"], index["b"], index["e"]}


# By hand: a, b in [1, 4] and c >= 5 with a + b + c = 10, so c in [5, 10 - 2] = [5, 8] and a, b <= 10 - 5 - 1
# = 4; a is also held by d 7 >= a + e with e >= 1, which allows any a up to 6: its own label (<= 4) is tighter.
EXPECTED = {"a": (1.0, 4.0), "b": (1.0, 4.0), "c": (5.0, 8.0), "e": (1.0, 4.0)}


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
    free = CellModel()  # total (hidden as "[c]": 5 or more) >= part 2 (published): total in [5, infinity)
    free.cell("total", 6)
    free.cell("part", 2)
    free.relate("total", ["part"], complete=False)
    assert interval(free, {0}, set(), 0, free.relations) == (5.0, np.inf)
    assert attacker.interval(model.index["c"]) == (5.0, 7.0)
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


@st.composite
def tables_of_blocks(draw) -> CellModel:
    """Several small tables (a total and its breakdown, some reported in part), some sharing a part
    with another table: several blocks, each with small counts and zeros."""
    model = CellModel()
    for table in range(draw(st.integers(1, 6))):
        parts = draw(st.lists(st.integers(0, 12), min_size=2, max_size=5))
        unreported = draw(st.sampled_from([0, 0, 3]))
        model.cell((table, "total"), sum(parts) + unreported)
        names = []
        for number, value in enumerate(parts):
            shared = table > 0 and number == 0 and draw(st.booleans())
            names.append((table - 1, 0) if shared and (table - 1, 0) in model.index else (table, number))
            model.cell(names[-1], value)
        model.relate((table, "total"), names, complete=unreported == 0)
    return model


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_of_blocks())
def test_protecting_block_by_block_hides_what_protecting_all_at_once_hides(model):
    assert protect(model) == protect_block(model)


@pytest.mark.slow
def test_blocks_of_the_bundled_pack_are_protected_as_the_whole(bundled_marts):
    from swps_pipeline.publish.disclosure import cell_model
    from swps_pipeline.publish.evaluation import _pack_tables
    from swps_pipeline.publish.warehouse import read_mart

    registry = read_mart(bundled_marts, "positions_registry")
    model = cell_model(_pack_tables(bundled_marts), dict(zip(registry["position_id"], registry["department_code"])))[0]
    result = protect(model)
    assert result == protect_block(model)
    assert len(result.small) > 1000 and len(result.hidden) > len(result.small)


def linked_tables(rng: random.Random) -> CellModel:
    """Two-way tables with row, column and grand totals, some rows reported in part, some sharing their
    row totals with the previous table, a stray relation (a reviewer's generator of hard cases)."""
    model = CellModel()
    for table in range(rng.randint(1, 4)):
        rows, columns = rng.randint(2, 4), rng.randint(2, 4)
        values = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15]) for _ in range(columns)] for _ in range(rows)]
        share = table > 0 and rng.random() < 0.4
        for i in range(rows):
            for j in range(columns):
                model.cell((table, i, j), values[i][j])
        for i in range(rows):
            key = (table - 1, i, "row") if share and (table - 1, i, "row") in model.index else (table, i, "row")
            model.cell(key, sum(values[i]) + rng.choice([0, 0, 0, 2]))
            model.relate(key, [(table, i, j) for j in range(columns)], complete=rng.random() < 0.85)
        for j in range(columns):
            model.cell((table, "column", j), sum(row[j] for row in values))
            model.relate((table, "column", j), [(table, i, j) for i in range(rows)])
        model.cell((table, "all"), sum(map(sum, values)))
        model.relate((table, "all"), [(table, "column", j) for j in range(columns)])
        model.relate((table, "all"), [(table, i, "row") for i in range(rows)])
        if rng.random() < 0.3:  # a grand total over the tables so far
            model.cell(("grand", table), sum(model.values[model.index[(t, "all")]] for t in range(table + 1)))
            model.relate(("grand", table), [(t, "all") for t in range(table + 1)])
    if rng.random() < 0.3:  # a stray relation between three cells, linking blocks
        total, *parts = rng.sample(list(model.index), 3)
        model.relate(total, parts, complete=rng.random() < 0.5)
    return model


def test_a_re_solve_stopped_by_the_solver_is_solved_again_from_scratch():
    """Seed 73: HiGHS, re-solving from the previous basis, stopped at "unknown" where a fresh solve finds
    the bound unbounded; the pack failed on it."""
    model = linked_tables(random.Random(73))
    result = protect(model)
    assert result == protect_block(model)
    assert (len(result.small), len(result.hidden)) == (4, 22)


def separate_tables(parts_by_table: list[list[int]]) -> CellModel:
    """One total and its breakdown per table, no table related to another: one block each."""
    model = CellModel()
    for table, parts in enumerate(parts_by_table):
        model.cell((table, "total"), sum(parts))
        for number, value in enumerate(parts):
            model.cell((table, number), value)
        model.relate((table, "total"), [(table, number) for number in range(len(parts))])
    return model


def _protected_blocks_kept(folder) -> int:
    """How many block protections `reused` keeps in `folder`."""
    return sum(json.loads(path.read_text())["input_args"]["function"].split()[1] == "protect_block"
               for path in (folder / ".cache").rglob("metadata.json"))


def test_a_changed_block_alone_is_solved_again(tmp_path):
    """Tables 0-3 are four blocks; the correction changes table 2's counts (a part from 3 to 2): the re-run
    solves that block again and reads the three others back, with the result of solving everything afresh."""
    before = [[3, 8, 9], [2, 6, 7, 10], [3, 12, 6], [1, 1, 9, 8]]
    after = [parts if table != 2 else [2, 12, 6] for table, parts in enumerate(before)]
    reuse = partial(reused, tmp_path)
    first = protect(separate_tables(before), reuse)
    assert first == protect(separate_tables(before)) and _protected_blocks_kept(tmp_path) == 4
    corrected = separate_tables(after)
    again = protect(corrected, reuse)
    assert _protected_blocks_kept(tmp_path) == 5
    assert again == protect(corrected) == protect_block(corrected)
    # the cells of table 0 (0 to 3): its small 3 hidden as "<5" and the smallest other part beside it
    assert {0, 1, 2, 3} & again.hidden == {1, 2} and {0, 1, 2, 3} & again.small == {1}


def test_blocks_solved_in_forked_processes_hide_what_one_process_hides(monkeypatch):
    """`protect` shares the blocks among processes forked from the step (`SWPS_WORKERS`): the same cells are
    hidden as in one process. Table 0 (cells 0-3) and table 4 (cells 18-21) worked out by hand: the small part
    shown as "<5", the smallest other part hidden beside it, the total shown."""
    model = separate_tables([[3, 8, 9], [2, 6, 7, 10], [3, 12, 6], [1, 1, 9, 8], [4, 20, 30]])
    monkeypatch.setenv("SWPS_WORKERS", "1")
    serial = protect(model)
    monkeypatch.setenv("SWPS_WORKERS", "2")
    forked = protect(model)
    assert forked == serial == protect_block(model)
    assert {0, 1, 2, 3} & forked.hidden == {1, 2} and {0, 1, 2, 3} & forked.small == {1}
    assert {18, 19, 20, 21} & forked.hidden == {19, 20} and {18, 19, 20, 21} & forked.small == {19}


def test_an_unpublished_difference_is_audited_when_small_and_left_alone_otherwise():
    """total 19 = part 16 + rest 3 and total 20 = part 13 + rest 7, each rest unpublished (a few positions' count,
    the difference of two published counts). The small rest gets a complement, the smaller published cell (16,
    then "[c]": 5 or more), which leaves it 0 to 14; the rest of 7 needs none, its block no audit. Block by
    block as a whole."""
    model = CellModel()
    for table, (total, part) in enumerate([(19, 16), (20, 13)]):
        model.cell((table, "total"), total)
        model.cell((table, "part"), part)
        model.cell((table, "rest"), total - part, published=False)
        model.relate((table, "total"), [(table, "part"), (table, "rest")])
    index = model.index
    result = protect(model)
    assert result == protect_block(model)
    assert result.hidden == {index[0, "part"], index[0, "rest"], index[1, "rest"]} and result.small == set()
    assert interval(model, set(result.hidden), set(), index[0, "rest"], model.relations[:1]) == (0.0, 14.0)
