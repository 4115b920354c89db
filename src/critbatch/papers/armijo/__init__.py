"""Tsukada & Iiduka (arXiv 2307.13831): SGD with an Armijo line search, steps K(b) and SFO
complexity N(b) against the batch size, and the critical batch size, against five optimizers.

* ``study``: the runs per setting and scale; ``theory``: K(b), N(b), b* and the fit of K(b);
* ``claims``: paper against ours; ``figures``: the K/N, step-size and curve figures;
* ``quoted``: the numbers the paper (its rebuttal figures) prints.
"""
