#!/usr/bin/env bash
# Builds llama.cpp once, through llama-cpp-python, into a venv beside the test
# venv, for bench/llm/run.py and bench/llm/compare_reference.py. It compiles
# llama.cpp for this CPU (several minutes on 2 cores); tests never need it.
# Not GGML_NATIVE: on this machine's Sapphire Rapids CPU it enables ggml's AMX
# matmul, which faults (ldtilecfg in an OpenMP worker). Every AVX-512
# extension the CPU has is enabled instead, so the peer is as fast as it runs here.
set -euo pipefail
KILN_CACHE="${KILN_CACHE:-$HOME/.cache/kiln}"
venv="$KILN_CACHE/bench-venv"
if ! "$venv/bin/python" -c "import llama_cpp, numpy, tokenizers" 2>/dev/null; then
  python3 -m venv "$venv"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_BMI2=ON -DGGML_AVX_VNNI=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON \
-DGGML_AVX512_BF16=ON" "$venv/bin/pip" install -q --no-cache-dir --force-reinstall \
    llama-cpp-python==0.3.36 numpy==2.3.5 tokenizers==0.23.3
fi
# The OpenAI-compatible server of llama-cpp-python, bench/serve's peer: its
# extras only (the compiled library above is kept).
if ! "$venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  "$venv/bin/pip" install -q --no-cache-dir "llama-cpp-python[server]==0.3.36"
fi
echo "$venv/bin/python"
