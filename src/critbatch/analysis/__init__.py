"""Turning stored runs into the book's tables, one module per idea:

* ``verdicts``: claims as records (source, kind, test as code, resolution), decided per seed;
* ``reach``: the first logged row at which a run reaches a target;
* ``seeds``: the mean and range over runs that differ only in their seed.
"""
