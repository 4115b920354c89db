"""critbatch: optimizers, schedules and measurements for the critbatch book.

Modules (import the one you need; importing the package itself loads nothing heavy):

* ``theory``: closed forms of Ma, Bassily & Belkin (critical batch, optimal steps, speed-up).
* ``variance_reduction``: SGD, SAG, SVRG and SAGA on interpolating least squares.
* ``data``, ``loader``: verified dataset archives and a device-resident batch server.
* ``models``, ``optimizers``, ``schedules``: building blocks named by JSON-able specs.
* ``train``: the training loop shared by every paper; ``store``: the results store.
* ``plotting``: the house style and the substitute-data label; ``paths``: where things live.
"""

__version__ = "0.1.0"
