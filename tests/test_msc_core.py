"""The shared MSC core: biodistribution by route, clearance and product potency."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

from mscsim.params import load_parameters
from mscsim.physiology import msc_core


@pytest.fixture(scope="module")
def v() -> dict[str, float]:
    return load_parameters().flat()


def test_kinetics_never_create_cells(v: dict[str, float]) -> None:
    a = msc_core.kinetic_matrix(v)
    assert np.all(a.sum(axis=0) <= 1e-9)  # column sums: outflow >= inflow of every compartment
    off_diagonal = a - np.diag(np.diag(a))
    assert np.all(off_diagonal >= 0)


def test_lung_trapped_cells_halve_in_about_a_day(v: dict[str, float]) -> None:
    """Lee 2009: lung-trapped MSCs disappear with a half-life of about 24 h."""
    a = msc_core.kinetic_matrix(v)
    x0 = np.zeros(len(msc_core.COMPARTMENTS))
    x0[msc_core.index("lung")] = 1.0
    lung_day1 = (scipy.linalg.expm(a) @ x0)[msc_core.index("lung")]
    assert lung_day1 == pytest.approx(0.5, rel=0.05)


def test_iv_cells_meet_the_lung_first_and_redistribute_to_liver_and_spleen(
    v: dict[str, float],
) -> None:
    a = msc_core.kinetic_matrix(v)
    x = scipy.linalg.expm(a * 0.5) @ msc_core.route_vector("iv", v)
    lung, liver, spleen = (x[msc_core.index(c)] for c in ("lung", "liver", "spleen"))
    assert lung > 0.9 * x.sum()
    assert liver > 0 and spleen > 0


@pytest.mark.parametrize("route", ["pancreatic_artery", "portal_vein", "hepatic_artery"])
def test_arterial_and_portal_routes_bypass_the_lung_on_first_pass(
    v: dict[str, float], route: str
) -> None:
    vec = msc_core.route_vector(route, v)
    assert vec[msc_core.index("lung")] < 0.1
    assert math.isclose(vec.sum(), 1.0)


def test_route_vectors_conserve_the_infused_cells(v: dict[str, float]) -> None:
    for route in msc_core.SUPPORTED_ROUTES:
        assert msc_core.route_vector(route, v).sum() == pytest.approx(1.0)


def test_unsupported_route_names_itself_and_the_supported_ones(v: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"intrathecal.*supported: iv"):
        msc_core.route_vector("intrathecal", v)


def test_late_passage_lowers_and_preconditioning_licenses_potency(v: dict[str, float]) -> None:
    def pot(**kw: object) -> msc_core.Potency:
        args = {"source": "bone_marrow", "passage": 4, "preconditioning": "none", "thawed": False}
        args.update(kw)
        return msc_core.product_potency(p=v, **args)  # type: ignore[arg-type]

    base = pot()
    assert pot(passage=10).immunomodulatory < base.immunomodulatory
    assert pot(preconditioning="ifn_gamma").preconditioning_licensing > 0
    assert pot(thawed=True).immunomodulatory < base.immunomodulatory
    assert pot(source="umbilical_cord").trophic > base.trophic
