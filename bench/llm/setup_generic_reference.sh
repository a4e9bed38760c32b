#!/usr/bin/env bash
# Builds llama.cpp once more, through llama-cpp-python, with no SIMD at all:
# ggml's generic C kernels, the code Kiln's scalar reference mirrors. This is
# the correctness reference of bench/llm/compare_reference.py (its SIMD build,
# setup_reference.sh, is the speed peer). At 8-bit activations the models
# amplify last-bit differences (changing only Q8 rounding ties moves logits by
# ~0.1), so token-for-token checks need the same arithmetic, not just the same math.
set -euo pipefail
KILN_CACHE="${KILN_CACHE:-$HOME/.cache/kiln}"
venv="$KILN_CACHE/generic-ref-venv"
if ! "$venv/bin/python" -c "import llama_cpp, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_AVX_VNNI=OFF -DGGML_FMA=OFF \
-DGGML_F16C=OFF -DGGML_BMI2=OFF -DGGML_AVX512=OFF -DGGML_SSE42=OFF -DGGML_LLAMAFILE=OFF \
-DGGML_CPU_REPACK=OFF" "$venv/bin/pip" install -q --no-cache-dir llama-cpp-python==0.3.36 \
    numpy==2.3.5
fi
echo "$venv/bin/python"
