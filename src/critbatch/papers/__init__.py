"""One folder per paper. A paper imports the core (``critbatch.*``) and never another paper;
the core never imports a paper (``tests/test_layout.py`` enforces both).

* ``armijo``: Tsukada & Iiduka, SGD with an Armijo line search and the critical batch size.
* ``interpolation``: Ma, Bassily & Belkin, "The Power of Interpolation".
"""
