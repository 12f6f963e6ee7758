"""Example submissions that ``course demo`` grades, built by ``make_examples.py``."""
