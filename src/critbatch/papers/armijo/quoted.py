"""Numbers quoted from Tsukada & Iiduka: the only typed-in numbers of this chapter.

Each entry says where in the paper it comes from. Notebooks compare what they compute with
these; nothing here is ever used as a result.
"""

from __future__ import annotations

__all__ = ["ARMIJO_BATCH_SIZES", "ARMIJO_CIFAR10_SFO_THOUSANDS", "ARMIJO_CIFAR10_CRITICAL", "ARMIJO_CIFAR10_CRITICAL_BY_TARGET"]

#: Tsukada & Iiduka (arXiv 2307.13831): the first author's rebuttal figures for the TMLR review
#: (github.com/tsukaoyuki/FcvU, March 2024), digitised in the reproduction notes. ResNet-34 on
#: CIFAR-10; batch sizes 2^2 ... 2^10. The paper's own figures could not be read.
ARMIJO_BATCH_SIZES = [4, 8, 16, 32, 64, 128, 256, 512, 1024]
#: F-R2: SFO complexity N(b), in thousands of examples, per optimizer.
ARMIJO_CIFAR10_SFO_THOUSANDS = {
    "SGD+Armijo": [371, 264, 275, 288, 290, 301, 362, 505, 751],
    "SGD": [455, 501, 444, 455, 487, 537, 515, 519, 586],
    "Momentum": [757, 554, 506, 482, 487, 480, 501, 494, 554],
    "Adam": [390, 391, 391, 403, 513, 567, 635, 810, 881],
    "AdamW": [394, 402, 354, 453, 485, 593, 668, 727, 962],
    "RMSProp": [456, 431, 402, 441, 486, 505, 606, 811, 908],
}
#: F-R2: the critical batch size circled in the figure (Adam's curve is flat at 2^3-2^4).
ARMIJO_CIFAR10_CRITICAL = {"SGD+Armijo": 8, "SGD": 16, "Momentum": 128, "Adam": 8, "AdamW": 16, "RMSProp": 16}
#: F-R6: SGD+Armijo's critical batch size at training loss <= 0.1 and <= 0.001.
ARMIJO_CIFAR10_CRITICAL_BY_TARGET = {0.1: 16, 0.001: 256}
