"""The scale level: claims about networks, checked by pre-registered experiments.

* :mod:`bnclaims.scale.criteria`: :class:`Criterion` (measured quantity, bands, confidence, preconditions)
  written on a claim before it runs;
* :mod:`bnclaims.scale.verdict`: t intervals over seeds and the one verdict rule;
* :mod:`bnclaims.scale.cells`: a cell (function x configuration x seed), its content hash, running one;
* :mod:`bnclaims.scale.grid`: the grid runner: a process pool, the content-hash cache, deadlines;
* :mod:`bnclaims.scale.slurm`: the same cells as a SLURM job array through submitit;
* :mod:`bnclaims.scale.experiment`: :class:`ScaleExperiment` and :func:`scale_check`, which make the check
  of a claim (or of its false twin) from an experiment and a criterion;
* :mod:`bnclaims.scale.plots`: one PNG per claim.
"""
