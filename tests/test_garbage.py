"""The collector settings of a run (`swps_pipeline/garbage.py`): in force during the run, put back after it,
and not undone by the forked workers of a step."""

import gc

from swps_pipeline.garbage import RUN_YOUNG_THRESHOLD, run_collection
from swps_pipeline.parallel import parallel_map


def _frozen_in_worker(_item: int) -> int:
    return gc.get_freeze_count()


def test_objects_alive_at_the_start_are_frozen_for_the_run_only():
    before_threshold, before_frozen = gc.get_threshold(), gc.get_freeze_count()
    alive = [[index] for index in range(1000)]  # tracked objects alive when the run starts
    with run_collection():
        assert gc.get_threshold() == (RUN_YOUNG_THRESHOLD, *before_threshold[1:])
        assert gc.get_freeze_count() >= before_frozen + len(alive)
        frozen_in_run = gc.get_freeze_count()
        # A step's forked workers freeze what they inherit, in their own process: the run's frozen objects stay
        # (all but the few a weak container of the standard library may drop meanwhile: its pending removals, e.g.
        # the threads of an earlier test's process pool, are made at its next change).
        in_workers = parallel_map(_frozen_in_worker, [1, 2, 3])
        assert 0 <= frozen_in_run - gc.get_freeze_count() <= 10
    assert min(in_workers) >= frozen_in_run  # each worker (or the step itself, with one core) leaves them frozen
    assert gc.get_threshold() == before_threshold
    assert gc.get_freeze_count() == 0  # `gc.unfreeze`: after the run, the collector visits every object again
