#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see DEVELOPERS.md: 15 minutes of device time, start-up included).
# Installs the wheels carried in .whl/ (what the machine's image lacks or has in other versions), runs the CUDA
# tests, then benchmarks/gpu.py, each under its own time limit, and leaves every log in $OUT.
# CTranslate2's PyPI wheel is built for CUDA 12 and loads libcublas.so.12 when it first multiplies; an image
# with CUDA 13 only has libcublas.so.13. The CTranslate2 checks run once as they are, then once more with the
# CUDA 13 library offered under the CUDA 12 name (an experiment: reported as such, never the default).
#
# Prepared here (the CPU machine) before the run, as on 2026-12-04 (an H200 whose image had Python 3.12, torch
# 2.11+cu130, transformers 5.17): into .whl/ (git-ignored through .git/info/exclude), with pip download --no-deps
# --only-binary=:all: --python-version 3.12 --platform manylinux..._x86_64: transformers==5.25.0
# huggingface_hub==2.4.0 httpx2 httpcore2 truststore regex tomlkit ctranslate2==4.8.5 pysbd bitsandbytes (its
# wheel repacked to keep only libbitsandbytes_cuda130.so and _cpu.so: 43 -> 2 MB; 64 MiB travel in all). The
# tests ran on `git archive HEAD` unpacked in .snap/, run as:
#   cd .snap && ln -sfn ../.whl .whl && bash tests/cuda/run_on_gpu.sh      (carry: .whl, .snap)
set -u
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
started=$SECONDS
log() { echo "[$((SECONDS - started)) s] $*" | tee -a "$OUT/steps.log"; }

log "install"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  >"$OUT/install.log" 2>&1 || { log "install failed"; tail -5 "$OUT/install.log"; }
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
versions='import torch, transformers, huggingface_hub, bitsandbytes, ctranslate2, translator
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
print("transformers", transformers.__version__, "hub", huggingface_hub.__version__)
print("bitsandbytes", bitsandbytes.__version__, "ctranslate2", ctranslate2.__version__,
      "ct2 cuda devices", ctranslate2.get_cuda_device_count(), ctranslate2.get_supported_compute_types("cuda"))'
if ! python3 -c "$versions" >"$OUT/versions.log" 2>&1; then
  log "the carried transformers does not import here: the image's own instead"
  rm -rf /tmp/site/transformers* /tmp/site/huggingface_hub* /tmp/site/httpx2* /tmp/site/httpcore2*
  python3 -c "$versions" >>"$OUT/versions.log" 2>&1
fi
cat "$OUT/versions.log"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >>"$OUT/versions.log" 2>&1

log "CUDA tests"
timeout "${CUDA_TEST_SECONDS:-200}" python3 -m pytest -o addopts= -m cuda tests/cuda -p no:cacheprovider -rA -q \
  --timeout 120 -k "${CUDA_TEST_SELECT:-cuda}" >"$OUT/pytest.log" 2>&1
log "CUDA tests: exit $?"
tail -25 "$OUT/pytest.log"

# the CUDA 13 cuBLAS under its CUDA 12 names, for CTranslate2's CUDA 12 build
shim=/tmp/cublas12
mkdir -p $shim
for name in libcublas libcublasLt; do
  found=$(find / -xdev -name "$name.so.13*" 2>/dev/null | head -1)
  [ -n "$found" ] && ln -sf "$found" "$shim/$name.so.12"
done
ls -l $shim >>"$OUT/steps.log"
log "CTranslate2 CUDA tests with the shim"
LD_LIBRARY_PATH=$shim timeout "${SHIM_TEST_SECONDS:-90}" python3 -m pytest -o addopts= -m cuda tests/cuda -p no:cacheprovider -rA -q \
  --timeout 60 -k ctranslate2 >"$OUT/pytest-shim.log" 2>&1
shim_exit=$?
log "with the shim: exit $shim_exit"
tail -8 "$OUT/pytest-shim.log"
# the benchmark takes the shim where CTranslate2 loaded through it (a failed comparison is not a failed load)
grep -q "libcublas.so.12 is not found" "$OUT/pytest-shim.log" || export LD_LIBRARY_PATH=$shim

log "benchmarks/gpu.py"
timeout "${GPU_BENCH_SECONDS:-330}" python3 benchmarks/gpu.py --models "${GPU_BENCH_PARTS:-marian,bert2bert,backends}" \
  --engines "${GPU_BENCH_ENGINES:-transformers,ctranslate2}" --out "$OUT/gpu.md" >"$OUT/gpu.log" 2>&1
log "benchmarks/gpu.py: exit $?"
grep -v "it/s\]" "$OUT/gpu.log" | tail -30
