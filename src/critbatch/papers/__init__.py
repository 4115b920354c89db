"""One folder per paper. A paper imports the core (``critbatch.*``) and never another paper;
the core never imports a paper (``tests/test_layout.py`` enforces both).

* ``armijo``: Tsukada & Iiduka, SGD with an Armijo line search and the critical batch size.
* ``adaptive``: Umeda & Iiduka, batch size and learning rate that grow by stages when the
  full-gradient norm reaches a threshold.
* ``interpolation``: Ma, Bassily & Belkin, "The Power of Interpolation".
* ``graduated``: Sato & Iiduka, SGD as implicit graduated optimization (delta = eta C / sqrt(b)).
"""
