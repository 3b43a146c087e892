"""The aging runner's jitted JAX scan against the plain NumPy RK4 loop it replaced.

Same step, same dose rule, same signal: for every aging disease the two agree to rounding
(1e-10 relative) on every state and every record day, and the recorded signal is the same.
The SciPy check of each run (`reference_check`) covers the step itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from mscsim.engine._schedule import make_grid
from mscsim.engine.bench import default_scenario
from mscsim.params import load_parameters
from mscsim.trial._aging import AGING_DISEASES, disease_model
from mscsim.trial._aging._exposure import Exposure, decay
from mscsim.trial._aging._integrate import rk4
from mscsim.trial._aging._scan import scan_rk4
from mscsim.trial._aging_run import _arm_inputs, sample_population, stack_arms
from mscsim.trial._support import is_active


@pytest.mark.parametrize("disease", AGING_DISEASES)
def test_scan_equals_numpy_rk4(disease: str) -> None:
    spec = default_scenario(12, duration_days=100, disease=disease)
    model = disease_model(disease)
    v = load_parameters(*model.parameter_modules, "msc_core", "aging_trial").flat()
    cohort, _ = sample_population(spec, model, v)
    background = {str(t): 1.0 for t in spec.standard_of_care}
    grid = make_grid(int(spec.duration_days), spec.visits_days)
    exposures = [model.exposure(a if is_active(a) else None, cohort, v) for a in spec.arms]
    assert any(e.days for e in exposures)  # a treated arm: the signal matters
    y0, params, extra = stack_arms(cohort, _arm_inputs(spec, model, exposures, v))

    def rates(y: object, s: np.ndarray) -> object:
        return model.rates(y, s, params, background, extra, np)

    def signal(t: float, given_by: float) -> np.ndarray:
        return np.concatenate([e.signal(t, given_by) for e in exposures])

    record = [int(d) for d in grid.record_days]
    want, want_signal = rk4(rates, y0, signal, grid.duration_days, record)
    got, got_signal = scan_rk4(model.rates, y0, params, extra, background, exposures, grid)

    for name, a, b in zip(type(want)._fields, want, got, strict=True):
        assert b.shape == a.shape and a.shape[0] == len(record), name
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12 * np.max(np.abs(a)), err_msg=name)
    np.testing.assert_array_equal(got_signal, want_signal)


def test_kernel_sum_counts_a_dose_from_its_day() -> None:
    e = Exposure(days=(0.0, 2.0), amount=np.asarray([1.0, 3.0]), kernel=decay(0.5, 1.0))
    t = np.asarray([1.0, 2.5, 2.5])
    given_by = np.asarray([1.0, 1.0, 2.0])  # the second dose not yet given, then given
    k = np.log(2.0)
    want = [0.5 * np.exp(-k), 0.5 * np.exp(-2.5 * k), 0.5 * (np.exp(-2.5 * k) + np.exp(-0.5 * k))]
    np.testing.assert_allclose(e.kernel_sum(t, given_by), want, rtol=1e-15)
    np.testing.assert_allclose(e.level(2.5, 2.0), np.asarray([1.0, 3.0]) * want[2], rtol=1e-15)
