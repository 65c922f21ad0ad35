"""Stochastic trace estimators (Hutchinson 1989; Hutch++, Meyer et al. 2021)."""
