"""Edits of the reference solutions: realistic mistakes and correct alternatives."""
