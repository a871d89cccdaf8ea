"""Reference solutions for the five lecture exercises.

Each module is the solution an instructor would write. The student stubs in
``exercises/`` are generated from these files: every block between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes ``raise NotImplementedError``.
"""
