#!/usr/bin/env bash
# The GPU measurements of docs/performance.md ("Engine on an NVIDIA H100"), in one go.
# Usage: scripts/bench_gpu.sh OUT_DIR   (run from the repository root; PYTHON picks the
# interpreter, default python3). Each step's JSON lands in OUT_DIR; a step that fails is logged
# and the next one still runs, so one broken step does not cost the others.
set -u
out=${1:?give an output folder}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1

step() {  # step NAME SECONDS COMMAND... : stdout to OUT/NAME.json, stderr to the log
    local name=$1 limit=$2
    shift 2
    echo "== $name ($(date +%T)): $*"
    local t0=$SECONDS
    timeout "$limit" "$@" >"$out/$name.json" 2>>"$out/log.txt" || echo "!! $name failed (rc $?)"
    echo "   $name took $((SECONDS - t0)) s"
}

{
    nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem,driver_version \
        --format=csv 2>&1
    "$py" -c "import jax, numpy; print('jax', jax.__version__, 'numpy', numpy.__version__, jax.devices())"
} >"$out/log.txt" 2>&1
cat "$out/log.txt"

bench=("$py" -m mscsim.cli bench --json)
# Smoke test first: a short study, small N (fails fast if the stack does not run here).
step smoke 120 "${bench[@]}" --curve 1000 --duration-days 90 --hardware
# Engine rate against N: float32 (the engine's default), then float64.
step curve_float32 300 "${bench[@]}" --curve 1000,10000,100000,1000000,3000000 --hardware \
    --curve-budget-s 120
step curve_float64 200 "${bench[@]}" --curve 100000,1000000 --precision float64 --hardware \
    --curve-budget-s 120
# Chunk size at N = 10^6 per arm (2 x 10^6 patient-arms): one chunk of 2 x 10^6.
step chunk_2e6 150 "${bench[@]}" --curve 1000000 --chunk-size 2000000
# The whole trial as `mscsim run` does it (sampling, engine, meal tests, reference check).
step trial_1e5 200 "${bench[@]}" --n 100000 --roadrunner-patients 0
# The demo scenario's endpoints on this device, to compare with the CPU's.
step demo 120 "$py" -m mscsim.cli run src/mscsim/scenarios/default_t2dm.yaml \
    --out "$out/demo" --force
cp "$out/demo/endpoints.csv" "$out/demo_endpoints.csv" 2>/dev/null
rm -rf "$out/demo"
