"""Diagnosis: comparing a submission's values with the reference (``compare``, ``values``),
the catalogue of named mistakes (``mutants``) and the reading of student errors (``errors``).
Grader side."""
