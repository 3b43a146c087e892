"""Frozen results of the meta-analysis: numbers with names, nothing positional.

Heterogeneity is reported as metafor does: I2 in percent, H2 as a ratio, Q with its degrees of
freedom and p-value, tau2 with its standard error where one is standard and its Q-profile CI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Dist = Literal["z", "t"]


class MetaError(ValueError):
    """Bad input to a meta-analysis; ``str`` is one line naming the column/row/value."""


@dataclass(frozen=True)
class MetaResult:
    """A pooled estimate (fixed- or random-effects model), metafor's ``rma.uni`` without mods.

    ``stat`` is the z statistic, or t with ``df`` = k - 1 under Knapp-Hartung (``knha``); the CI
    and the prediction interval use the same distribution. ``weights`` are percent of the total.
    """

    method: str
    k: int
    estimate: float
    se: float
    stat: float
    dist: Dist
    df: int | None
    pval: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_se: float | None
    tau2_ci: tuple[float, float] | None
    i2: float
    i2_ci: tuple[float, float] | None
    h2: float
    h2_ci: tuple[float, float] | None
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    knha: bool
    level: float
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    weights: tuple[float, ...]
    study: tuple[str, ...]

    @property
    def tau(self) -> float:
        return float(self.tau2**0.5)

    @property
    def zval(self) -> float | None:
        """The z statistic (None under Knapp-Hartung, where the statistic is ``tval``)."""
        return self.stat if self.dist == "z" else None

    @property
    def tval(self) -> float | None:
        return self.stat if self.dist == "t" else None

    def summary_dict(self) -> dict[str, object]:
        """Every scalar field (no per-study data), ready for JSON."""
        out = asdict(self)
        for name in ("yi", "vi", "weights", "study"):
            out.pop(name)
        for name in ("tau2_ci", "i2_ci", "h2_ci"):
            pair = out.pop(name)
            out[f"{name}_low"], out[f"{name}_high"] = pair if pair is not None else (None, None)
        return out


@dataclass(frozen=True)
class Coefficient:
    """One coefficient of a meta-regression (``name`` as metafor: ``intrcpt``, moderator names)."""

    name: str
    estimate: float
    se: float
    stat: float
    pval: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MetaRegressionResult:
    """A mixed-effects meta-regression, metafor's ``rma.uni(yi, vi, mods = ...)``.

    ``qe`` tests residual heterogeneity (fixed-effect weights, k - p df); ``qm`` is the omnibus
    test of the moderators (chi-square with ``qm_df``, or F(qm_df, k - p) under Knapp-Hartung).
    ``r2`` is the percent of tau2 the moderators account for, (tau2_RE - tau2) / tau2_RE with
    tau2_RE from the intercept-only model fitted by the same method; None without an intercept
    or when tau2_RE is 0.
    """

    method: str
    k: int
    p: int
    coefficients: tuple[Coefficient, ...]
    vcov: tuple[tuple[float, ...], ...]
    dist: Dist
    df: int | None
    tau2: float
    tau2_se: float | None
    tau2_ci: tuple[float, float] | None
    i2: float
    h2: float
    r2: float | None
    qe: float
    qe_df: int
    qe_p: float
    qm: float
    qm_df: int
    qm_p: float
    knha: bool
    level: float

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.coefficients)

    def coef(self, name: str) -> Coefficient:
        """The coefficient called ``name``; KeyError lists the names there are."""
        for c in self.coefficients:
            if c.name == name:
                return c
        raise KeyError(f"no coefficient {name!r}; the model has {', '.join(self.names)}")

    def summary_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.pop("vcov")
        pair = out.pop("tau2_ci")
        out["tau2_ci_low"], out["tau2_ci_high"] = pair if pair is not None else (None, None)
        return out


@dataclass(frozen=True)
class SubgroupResult:
    """Pooled estimates per subgroup and the test for subgroup differences.

    ``q_between`` compares the subgroup estimates with fixed-effect weights 1/se^2 (each subgroup
    keeps its own tau2, the usual test in RevMan and metafor's recommended two-step approach);
    chi-square with ``q_between_df`` = groups - 1.
    """

    groups: tuple[str, ...]
    results: tuple[MetaResult, ...]
    q_between: float
    q_between_df: int
    q_between_p: float

    def group(self, name: str) -> MetaResult:
        for label, result in zip(self.groups, self.results, strict=True):
            if label == name:
                return result
        raise KeyError(f"no subgroup {name!r}; the subgroups are {', '.join(self.groups)}")
