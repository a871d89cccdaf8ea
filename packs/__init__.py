"""The exercise packs that ship with the grader: the lecture's five exercises (data, read by grader.pack)."""
