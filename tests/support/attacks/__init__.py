"""A bank of attacks on the grader, each with its honest twin.

Every attack is an edit of a reference module that tries to win points it
has not earned by reaching for the grader instead of the exercise; its twin
is the same wrong answer written honestly (the forbidden product used openly,
the slow loop left slow). tests/sandbox/test_attacks.py grades both, one
grading each, and tests/hosts/test_batch_attacks.py as students of a batch
with warm workers: the attack may never score more than its twin on its
item, and must not cost any other item a point (`problems`). Written by us, from the classes of attack found against the grader
(docs/grader.md, "What the sandbox guarantees"); each worked on the grader
before the hardening of the sandbox (the table in that section).
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder import catalogue
from support.grading_support import Edit, rounds


@dataclass(frozen=True)
class Attack:
    attack: Edit
    twin: Edit

    @property
    def item(self) -> str:
        return self.attack.item

    @property
    def id(self) -> str:
        return self.attack.id


def attack(item: str, module: str, old: str, new: str, twin: str, why: str) -> Attack:
    return Attack(Edit(item, module, old, new, why), Edit(item, module, old, twin, f"twin of: {why}"))


def bank() -> list[Attack]:
    """Every attack of the bank (imported here, below Attack, which they use)."""
    from support.attacks import introspection, tampering, watched

    return tampering.ATTACKS + watched.ATTACKS + introspection.ATTACKS


def attack_rounds() -> list[tuple[Attack, ...]]:
    """Rounds of attacks, at most one per item, as the bank of mistakes is graded."""
    attacks = bank()
    by_edit = {attack.attack: attack for attack in attacks}
    return [tuple(by_edit[edit] for edit in batch) for batch in rounds([a.attack for a in attacks])]


def problems(batch: tuple[Attack, ...], attacked: dict, twins: dict) -> list[str]:
    """What is wrong with one round's scores (support.grading_support.scores
    of the attacks' submission and of their twins'): an attack that beat its
    twin or kept full marks, an untouched item that lost points."""
    found = []
    for attack in batch:
        score, max_score, _ = attacked[attack.item]
        if score > twins[attack.item][0]:
            found.append(f"{attack.id}: {score} points, its honest twin {twins[attack.item][0]}")
        if score >= max_score:
            found.append(f"{attack.id}: kept full marks")
    touched = {attack.item for attack in batch}
    for module in {attack.attack.module for attack in batch}:
        for item in catalogue.items_of(module):
            if item.id not in touched and attacked[item.id][0] != attacked[item.id][1]:
                found.append(f"{item.id} lost points to an attack on another item: {attacked[item.id]}")
    return found
