"""nbgrader's ClearSolutions, with a stub that names the item, as in exercises/.

An answer cell's grade_id is its item id, so its solution regions become
`raise NotImplementedError("<item id>: not implemented yet")`: a failing check
points at its own item, and the visible checks can say "not started".
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearSolutions

from autograder import catalogue
from autograder.course.stubs import not_started_message


class ClearSolutionsNamingItem(ClearSolutions):
    def preprocess_cell(self, cell, resources, cell_index):
        item = catalogue.by_id().get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if item is None or cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, cell_index)
        default = self.code_stub
        stub = f'# YOUR CODE HERE\nraise NotImplementedError("{not_started_message(item)}")'
        self.code_stub = {**default, "python": stub}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = default
