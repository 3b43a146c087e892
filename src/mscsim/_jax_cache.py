"""JAX's persistent compilation cache: where it lives and how a process turns it on."""

from __future__ import annotations

import os
from pathlib import Path


def jax_cache_dir() -> str:
    """`MSCSIM_JAX_CACHE`, or ~/.cache/mscsim/jax."""
    return os.environ.get("MSCSIM_JAX_CACHE") or str(Path.home() / ".cache" / "mscsim" / "jax")


def enable_compile_cache(cache_dir: str | None = None) -> None:
    """Load compiled XLA programs from disk instead of recompiling (a cold `mscsim run`, and
    every Dask worker, then skips most compilation). Every program is cached, however small."""
    import jax

    jax.config.update("jax_compilation_cache_dir", cache_dir or jax_cache_dir())
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
