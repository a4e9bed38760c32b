# The two commands of README.md:
#   make serve   set up, build, and run the server on 127.0.0.1:8080 (data in ./data)
#   make test    set up, build, and run the whole test suite
BUILD ?= build
KILN_CACHE ?= $(HOME)/.cache/kiln
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CORPUS ?= $(if $(wildcard ../shared/corpus),$(abspath ../shared/corpus),/work/shared/corpus)

.PHONY: all setup configure build serve test bench bench-llm bench-serve bench-rag bench-chat bench-kernels chat clean

all: build

setup:
	@scripts/setup

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

serve: build
	$(BUILD)/app/kiln serve --host 127.0.0.1 --port 8080 --data ./data

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 600
	KILN_BIN=$(abspath $(BUILD)/app/kiln) KILN_BUILD_DIR=$(abspath $(BUILD)) $(KILN_CACHE)/venv/bin/python -m pytest tests -q -p no:cacheprovider

bench: build
	KILN_BIN=$(abspath $(BUILD)/app/kiln) $(KILN_CACHE)/venv/bin/python bench/http/run.py

# Kiln against llama.cpp on both models (JSON on stdout; see bench/llm/run.py).
# llama.cpp (llama-cpp-python) is built once into $(KILN_CACHE)/bench-venv for this.
bench-llm: build
	KILN_BUILD_DIR=$(abspath $(BUILD)) $$(bench/llm/setup_reference.sh) bench/llm/run.py --model all

# Concurrent chats against the serving engine, llama.cpp's server beside it
# (JSON on stdout; see bench/serve/run.py).
bench-serve: build
	KILN_BUILD_DIR=$(abspath $(BUILD)) $$(bench/llm/setup_reference.sh) bench/serve/run.py

# The knowledge pipeline: ingestion of the real corpus, search latency at
# 10k and 100k chunks in each mode (JSON on stdout; see bench/rag/rag_bench.cc).
bench-rag: build
	$(BUILD)/bench/rag_bench --corpus $(CORPUS) --sizes 10000,100000

# A bot's turn end to end: knowledge-backed, one tool, plain, and the model
# alone beside them (JSON on stdout; see bench/chat/run.py).
bench-chat: build
	KILN_BIN=$(abspath $(BUILD)/app/kiln) KILN_BUILD_DIR=$(abspath $(BUILD)) $(KILN_CACHE)/venv/bin/python bench/chat/run.py

# Google Benchmark of each CPU kernel (bench/kernels): console table, and JSON
# in $(BUILD)/bench/bench_kernels.json.
bench-kernels: build
	$(BUILD)/bench/bench_kernels --benchmark_out=$(BUILD)/bench/bench_kernels.json \
	  --benchmark_out_format=json

chat: build
	$(BUILD)/app/kiln chat

clean:
	rm -rf $(BUILD)
