# The two commands of README.md:
#   make serve   set up, build, and run the server on 127.0.0.1:8080 (data in ./data)
#   make test    set up, build, and run the whole test suite
BUILD ?= build
KILN_CACHE ?= $(HOME)/.cache/kiln
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup configure build serve test test-unit test-e2e bench clean

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
	KILN_BIN=$(abspath $(BUILD)/app/kiln) $(KILN_CACHE)/venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

bench: build
	KILN_BIN=$(abspath $(BUILD)/app/kiln) $(KILN_CACHE)/venv/bin/python bench/http/run.py

clean:
	rm -rf $(BUILD)
