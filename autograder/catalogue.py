"""Read the catalogue of graded items (autograder/catalogue.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).with_name("catalogue.toml")

# The chapter's questionnaire has 40 questions, its further research 4 items.
QUESTIONS = tuple(f"Q{n}" for n in range(1, 41)) + tuple(f"R{n}" for n in range(1, 5))


@dataclass(frozen=True)
class Item:
    id: str
    module: str
    names: tuple[str, ...]
    helpers: tuple[str, ...]
    uses: tuple[str, ...]
    questions: tuple[str, ...]
    points: int
    title: str
    prompt: str
    hints: tuple[str, ...]  # levels: the first names the idea, the last may show code
    why: str = ""  # the "why" part of a conceptual question, graded by hand in the notebook

    @property
    def hint(self) -> str:
        """The first level: what reports and feedback show unasked (never the answer)."""
        return self.hints[0]

    @property
    def owned_names(self) -> tuple[str, ...]:
        """Every top-level name whose solution body belongs to this item."""
        return self.names + self.helpers


def _item(raw: dict) -> Item:
    return Item(
        id=raw["id"],
        module=raw["module"],
        names=tuple(raw["names"]),
        helpers=tuple(raw.get("helpers", ())),
        uses=tuple(raw.get("uses", ())),
        questions=tuple(raw["questions"]),
        points=int(raw["points"]),
        title=raw["title"].strip(),
        prompt=" ".join(raw["prompt"].split()),
        hints=tuple(" ".join(text.split()) for text in raw["hints"]),
        why=" ".join(raw.get("why", "").split()),
    )


@cache
def load(path: Path = CATALOGUE_PATH) -> tuple[Item, ...]:
    """All items, in course order."""
    with open(path, "rb") as f:
        return tuple(_item(raw) for raw in tomllib.load(f)["item"])


def by_id() -> dict[str, Item]:
    return {item.id: item for item in load()}


def modules() -> tuple[str, ...]:
    """Module names in course order, each once."""
    return tuple(dict.fromkeys(item.module for item in load()))


def items_of(module: str) -> tuple[Item, ...]:
    return tuple(item for item in load() if item.module == module)


def owner_of(module: str, name: str) -> Item | None:
    """The item a top-level name of a module belongs to, if any."""
    for item in items_of(module):
        if name in item.owned_names:
            return item
    return None


def max_score() -> int:
    return sum(item.points for item in load())
