"""Ma, Bassily & Belkin (arXiv 1712.06559), "The Power of Interpolation": the critical batch
size m* = beta/lambda_1 + 1, the optimal step eta*(m) and the speed-up s(m), on kernel least squares.

* ``theory``: the closed forms; ``closed_forms``: Figures 1 and 2 from them; ``kernels``: kernel matrices and spectra;
* ``kernel_sgd``: mini-batch SGD and EigenPro on kernel least squares (a stored run type);
* ``variance_reduction``: SGD, SAG, SAGA and SVRG of Section 3.1 (a stored run type);
* ``study``: the runs per figure and scale; ``measures``: the run figures measured; ``claims``: every claim,
  written once; ``chapter``: the table of figures; ``quoted``: the paper's numbers.
"""
