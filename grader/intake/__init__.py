"""Intake: finding submissions (files, folders, archives), naming students, and scanning a
submission's source before anything runs it.  Grader side; never runs student code."""
