"""critbatch: optimizers, schedules and measurements for the critbatch book.

The core (import the module you need; importing the package itself loads nothing heavy):

* ``optim``: :class:`~critbatch.optim.ArmijoSGD` and optimizers built by name.
* ``schedules``: learning-rate and batch-size schedules as pure functions of progress, and
  stages that advance when a measured quantity crosses a threshold.
* ``data``: official archives verified by checksum, and the device loader.
* ``models``: the networks, by name.
* ``train``: the training loop and its registry of measurements.
* ``store``: the results store; ``runs``: ``critbatch.run(config)`` for every run type.
* ``analysis``: claims, verdicts, first-reach and seed averages; ``plotting``: the house style.
* ``scales``, ``paths``, ``devices``, ``specs``, ``notebooks``: settings and plumbing.

One folder per paper under ``papers/``; the core never imports a paper.
"""

__version__ = "0.1.0"


def run(config, store=None, **options):
    """Load the stored result of ``config``, or train and store it (:func:`critbatch.runs.run`)."""
    from .runs import run as run_

    return run_(config, store, **options)
