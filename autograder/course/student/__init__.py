"""The static files of the students' repository (see autograder/course/student_template.py).

A package only so that the grader can import `progress_report`, the script
shipped as `.github/progress_report.py`, for its escaping functions: one
copy of GitHub's escaping rules for the students' workflow and the grader.
"""
