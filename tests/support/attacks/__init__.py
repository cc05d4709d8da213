"""A bank of attacks on the grader, each with its honest twin.

Every attack is an edit of a reference module that tries to win points it
has not earned by reaching for the grader instead of the exercise; its twin
is the same wrong answer written honestly (the forbidden product used openly,
the slow loop left slow). tests/sandbox/test_attacks.py grades both: the attack may
never score more than its twin on its item, and must not cost any other item
a point. Written by us, from the classes of attack found against the grader
(docs/grader.md, "What the sandbox guarantees"); each worked on the grader
before the hardening of the sandbox (the table in that section).
"""

from __future__ import annotations

from dataclasses import dataclass

from support.grading_support import Edit


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
