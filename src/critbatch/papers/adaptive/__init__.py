"""Umeda & Iiduka (arXiv 2508.05302): batch size and learning rate that grow by stages, when
the full-gradient norm reaches a threshold on the critical-batch-size curve.

``chapter`` is the table of figures (each figure's runs and measure, for the notebooks and
``python -m critbatch.sweep``), ``study`` defines the runs and measures each figure, ``theory``
holds the closed forms (T(b), N(b), b* = 2 C2 / eps^2, the bound B_T + V_T per stage),
``claims`` the claim records and their per-seed decisions, ``figures`` draws them, ``quoted``
holds the only typed-in numbers (the official code's released settings).
"""
