"""Checkers for the notebooks' exercises, one module per topic: each compares a learner's code with a reference."""
