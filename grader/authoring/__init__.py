"""Tools for the course's authors: student stubs, golden values, the GitHub Classroom
workflow and the Gradescope bundle."""
