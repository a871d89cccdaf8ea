"""The command line: a thin ``main`` and one module per subcommand; ``inline`` is the
notebook front end (``%load_ext grader``)."""
