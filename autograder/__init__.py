"""Exercises, reference solutions and grading for fastbook chapter 17."""
