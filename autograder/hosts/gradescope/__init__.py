"""Grading on Gradescope: the autograder zip (bundle.py), where a student's
work is in an upload (locate.py), and the per-submission run (run.py).

setup.sh and run_autograder are the two scripts Gradescope's specification
asks for at the zip's root; docs/gradescope.md explains them.
"""
