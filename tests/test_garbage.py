"""The collector settings of a run (`swps_pipeline/garbage.py`): in force during the run, put back after it,
and not undone by the forked workers of a step; none while the program starts."""

import gc
import json
import subprocess
import sys

from swps_pipeline.garbage import RUN_YOUNG_THRESHOLD, START_YOUNG_THRESHOLD, run_collection
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


def test_the_program_starts_without_collecting_over_its_imports():
    """`swps` loads pandas, Dagster, the definitions and the instance's storage (half a million long-lived
    objects) before any collection: each one visited them (0.5 s of every start, issue 17)."""
    code = (
        "import gc, json\n"
        "from swps_pipeline.garbage import START_YOUNG_THRESHOLD, batch_collector\n"
        "batch_collector(START_YOUNG_THRESHOLD)\n"
        "collections = []\n"
        "gc.callbacks.append(lambda phase, info: collections.append(info['generation']) if phase == 'stop' else None)\n"
        "import swps_pipeline.cli, swps_pipeline.runner, swps_pipeline.definitions, swps_pipeline.instance\n"
        "swps_pipeline.cli.build_parser()\n"
        "print(json.dumps([collections, gc.get_count()[0]]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    collections, young = json.loads(ran.stdout.strip().splitlines()[-1])
    assert collections == []
    assert 100_000 < young < START_YOUNG_THRESHOLD  # the imports' objects, all still young
