"""The attack bank graded as a course: through the batch's warm workers.

tests/sandbox/test_attacks.py grades each round of attacks with its own
`grade` process. A course is graded by `batch`, whose warm workers fork
each grading from a process that has already imported the grader: this
proves the same bound there, every attack and every honest twin a student
of one batch, two at a time, so an attack also meets the grading of the
student before it in the same worker.
"""

from __future__ import annotations

import json

from support.attacks import attack_rounds, problems
from support.batch_course import read_csv, run_batch
from support.grading_support import edited_source, scores


def test_attacks_graded_by_warm_workers_score_no_more_than_their_twins(tmp_path):
    rounds = attack_rounds()
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for number, batch in enumerate(rounds):
        for side in ("attack", "twin"):
            folder = submissions / f"round{number}_{side}"
            folder.mkdir(parents=True)
            edits = [getattr(attack, side) for attack in batch]
            for module in {edit.module for edit in edits}:
                (folder / f"{module}.py").write_text(edited_source(edits, module))
    done = run_batch(submissions, out, "--isolation", "fork", "--workers", "2")
    assert done.returncode == 0, done.stderr[-4000:]
    assert {row["status"] for row in read_csv(out)} == {"graded"}, read_csv(out)

    found = []
    for number, batch in enumerate(rounds):
        attacked, twins = (scores(json.loads((out / f"round{number}_{side}.json").read_text()))
                           for side in ("attack", "twin"))
        found += problems(batch, attacked, twins)
    assert not found, "\n".join(found)
