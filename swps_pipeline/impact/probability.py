"""The tail probabilities and quantiles of the estimators, from `scipy.special` (issue 17).

Each function returns what the `scipy.stats` method named in its docstring returns, to the bit: that method
calls the same `scipy.special` function (scipy 1.17, `_continuous_distns.py`), around argument checks that
change nothing for the values the estimators pass (tests/impact/test_probability.py compares them). Importing
`scipy.stats` costs about a second, `scipy.special` a fifth of it, and only the sensitivity analysis (moderndid)
needs `scipy.stats` itself.
"""

from __future__ import annotations

from functools import cache


@cache
def _special():
    """`scipy.special`, imported at the first probability asked: every `swps` command imports this package, and
    only the impact estimators (in their forked workers, in a run) compute probabilities."""
    from scipy import special

    return special


def normal_quantile(q: float) -> float:
    """`scipy.stats.norm.ppf(q)`."""
    return _special().ndtri(q)


def normal_sf(x):
    """`scipy.stats.norm.sf(x)`."""
    return _special().ndtr(-x)


def t_quantile(q: float, df: float) -> float:
    """`scipy.stats.t.ppf(q, df)`."""
    return _special().stdtrit(df, q)


def t_sf(x, df: float):
    """`scipy.stats.t.sf(x, df)`."""
    return _special().stdtr(df, -x)


def chi2_sf(x: float, df: float) -> float:
    """`scipy.stats.chi2.sf(x, df)`; 1 below zero, as scipy.stats (a quadratic form that rounding made negative)."""
    return _special().chdtrc(df, max(x, 0.0))


def f_sf(x: float, dfn: float, dfd: float) -> float:
    """`scipy.stats.f.sf(x, dfn, dfd)`; 1 below zero, as scipy.stats."""
    return _special().fdtrc(dfn, dfd, max(x, 0.0))
