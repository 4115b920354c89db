"""Sato & Iiduka (arXiv 2311.08745), "Using Stochastic Gradient Descent to Smooth Nonconvex
Functions: Analysis of Implicit Graduated Optimization": SGD with step size eta and batch size b
smooths the loss by delta = eta C / sqrt(b); decaying eta or growing b is graduated optimization.

* ``theory``: the smoothing toys (Rastrigin, Drop-Wave, noise laws), closed forms, the noise
  level delta, the polynomial noise schedule and explicit graduated optimization;
* ``study``: one call per figure, the four SGD variants' schedules, and the configurations of
  the trained figures (paper scale and the CPU-sized substitute); ``claims``: paper against
  ours; ``quoted``: the numbers quoted from the paper and its code.
"""
