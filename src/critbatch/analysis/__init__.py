"""Turning stored runs into the book's tables, one module per idea:

* ``claims``: one "paper against ours" row per claim, and the verdict sentence over a table of them;
* ``reach``: the first logged row at which a run reaches a target;
* ``seeds``: the mean and range over runs that differ only in their seed.
"""
