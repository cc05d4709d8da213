"""nbgrader's configuration for this course (docs/notebooks.md).

The course directory is this repository: `source/foundations/` is the source
assignment, `release/foundations/` what students get (`python -m autograder
notebooks` regenerates both), and nbgrader's `submitted/`, `autograded/` and
`feedback/` folders appear here too (git ignores them).

The gradebook is `gradebook.db` beside this file (sqlite, nbgrader's default);
set NBGRADER_DB_URL to any SQLAlchemy URL to use another database, e.g.
`NBGRADER_DB_URL=postgresql://grader@db/foundations nbgrader autograde foundations`.
"""

import os
from pathlib import Path

from nbgrader.preprocessors import (
    CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput, ComputeChecksums,
    IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells,
)

from autograder.course.nbgrader_plugin import ClearSolutionsNamingItem

HERE = Path(__file__).resolve().parent
DB_URL_VARIABLE = "NBGRADER_DB_URL"

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.root = str(HERE)
c.CourseDirectory.db_url = os.environ.get(DB_URL_VARIABLE, f"sqlite:///{HERE / 'gradebook.db'}")

# A notebook cell that runs longer than this (an endless loop) is stopped and
# its tests get no points; the hidden tests of one item take seconds.
c.Execute.timeout = 120

# nbgrader's own release steps, in nbgrader's order, with one change: solution
# regions become a stub that names the item (autograder/course/nbgrader_plugin.py).
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    ClearSolutionsNamingItem,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    SaveCells,
    ClearHiddenTests,  # after ComputeChecksums and SaveCells, as nbgrader requires
    ClearMarkScheme,
    ComputeChecksums,  # again, now that the hidden tests are gone
    CheckCellMetadata,
]
