"""The autograder: nbgrader configuration, hidden-test checks, grading pipeline, CLI."""
