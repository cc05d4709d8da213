"""Grading a whole course: every student of a folder, resumably.

students.py says who the students are and fingerprints what they handed in;
course.py grades the ones not graded yet, in parallel, and reports.py keeps
their reports and grades.csv on disk, each file complete or absent.
"""
