"""What none of the four papers has: their four critical batch sizes predicted and measured on
the same problems, and one scoreboard of every claim the chapters test. The only folder that
may import all four papers.

* ``predictions``: the measured critical batch size (the smallest SFO to a target), Paper 1's
  fitted b* = 2 C2 / eps^2, Paper 3's m* = beta / lambda_1 + 1 and McCandlish et al.'s gradient
  noise scale B_simple, on the Paper 3 kernel problem and the Paper 1 MNIST MLP;
* ``scoreboard``: every chapter's claims table, gathered for the book's front page.
"""
