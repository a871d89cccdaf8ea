"""Exercise packs: an exercise as data (a spec, a reference with solution markers, helpers, examples)."""
