"""Umeda & Iiduka (arXiv 2508.05302): batch size and learning rate that grow by stages, when
the full-gradient norm reaches a threshold on the critical-batch-size curve.

``study`` defines the runs and returns each figure's results, ``theory`` holds the closed forms
(T(b), N(b), b* = 2 C2 / eps^2, the bound B_T + V_T per stage), ``claims`` turns results into
"paper against ours" rows, ``figures`` draws them, ``quoted`` holds the only typed-in numbers
(the official code's released settings: the paper's body could not be read) and ``runs``
registers each figure's runs for ``python -m critbatch.sweep``.
"""
