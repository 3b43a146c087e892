"""What the engine asks of the hardware: the device, its copy bandwidth, and one day's cost.

`mscsim bench --curve` reports patient-years/s; to say what fraction of a GPU that is, it needs
the bytes and floating-point operations one patient-day costs and what the device can move.
Both are measured here in the same process as the rate: the day's cost from XLA's own cost
analysis of the compiled one-day step (the same `_fast._day` the scan runs), the bandwidth from
timing a device-to-device copy with JAX.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mscsim.engine._fast import ArmDosing, Carry, _day, propagators, to_device
from mscsim.physiology.t2dm._model import T2DM_MODEL


def device_info() -> dict[str, Any]:
    """JAX's backend, the first device's kind and, where JAX reports it, its memory."""
    dev = jax.devices()[0]
    info: dict[str, Any] = {"backend": jax.default_backend(), "device_kind": dev.device_kind}
    stats = dev.memory_stats() if hasattr(dev, "memory_stats") else None
    if stats and "bytes_limit" in stats:
        info["device_memory_gb"] = round(stats["bytes_limit"] / 1e9, 1)
    return info


def copy_bandwidth_gbs(gigabytes: float | None = None, repeats: int = 10) -> float:
    """Device memory bandwidth seen by JAX: bytes read plus written per second by `x * 1`.

    The best of `repeats` timed copies of a float32 array of `gigabytes` (after one warm-up);
    2 GB on a GPU (far beyond its caches), 0.25 GB on a CPU (past its last-level cache).
    """
    if gigabytes is None:
        gigabytes = 2.0 if jax.default_backend() == "gpu" else 0.25
    n = int(gigabytes * 1e9 / 4)
    x = jnp.ones((n,), dtype=jnp.float32)
    scale = jax.jit(lambda a: a * jnp.float32(1.0000001))
    scale(x).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        scale(x).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return round(2 * n * 4 / best / 1e9, 1)


def _cost(compiled: Any) -> dict[str, float]:
    cost = compiled.cost_analysis()
    if isinstance(cost, list):  # older JAX: one dict per computation
        cost = cost[0]
    return {"flops": float(cost.get("flops", 0.0)), "bytes": float(cost.get("bytes accessed", 0.0))}


def day_cost(
    carry0: Carry,
    pat: Any,
    sh: Any,
    dosing: ArmDosing,
    kinetics: np.ndarray,
    *,
    precision: str = "float32",
) -> dict[str, float]:
    """XLA's estimate of one engine day for these patients: flops and bytes per patient-day.

    The one-day step is compiled on its own for the patients given (their count sets the
    shape) with MSC terms and titration both possible, as in the scan; XLA's cost analysis
    counts each kernel's operands and results once (its estimate of memory traffic) and may
    count both branches of a conditional, so the figures are an upper estimate for the usual
    day without cells or titration. `min_bytes_per_patient_day` is the floor any implementation
    pays: the carried state read and written once and the per-patient constants read once.
    """
    e_full, e_half = propagators(kinetics)
    dtype = np.float64 if precision == "float64" else np.float32
    m = int(np.asarray(carry0.dose).shape[0])
    with jax.enable_x64(precision == "float64"):
        c, p, d, ef, eh = to_device((carry0, pat, dosing, e_full, e_half), precision)
        amount = jnp.asarray(np.asarray(dosing.amount)[0, 0], dtype=dtype)
        x = (jnp.asarray(0.0, dtype=dtype), amount, jnp.asarray(True), jnp.asarray(True))
        step = jax.jit(lambda c, x, p, d, ef, eh: _day(c, x, T2DM_MODEL, p, sh, d, ef, eh))
        cost = _cost(step.lower(c, x, p, d, ef, eh).compile())

        def per_patient_bytes(tree: Any) -> int:
            leaves = jax.tree_util.tree_leaves(tree)
            return sum(a.dtype.itemsize * a.size // m for a in leaves if a.ndim and a.shape[0] == m)

        floor = 2 * per_patient_bytes(c) + per_patient_bytes(p)
    return {
        "flops_per_patient_day": round(cost["flops"] / m, 1),
        "bytes_per_patient_day": round(cost["bytes"] / m, 1),
        "min_bytes_per_patient_day": float(floor),
        "patients_in_estimate": float(m),
    }
