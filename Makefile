# The whole set-up on a fresh Debian 12 machine is `make run` or `make test`.
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
CONFIG         ?= config/hearth.yaml
JOBS           ?= $(shell nproc)
CMAKE_COMMON    = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build build-asan run test test-unit e2e-deps bench format clean

deps:
	@scripts/install-deps.sh

# Release with debug info and warnings as errors; leaves build/hearth.
build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) -DHEARTH_WERROR=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Address + undefined-behaviour sanitizers, tests only. -O1 and line tables only: about half
# the compile time of -O2 -g, and reports still name file and line.
ASAN_FLAGS = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_BUILD_TYPE=Debug \
             -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1"
build-asan: deps
	@cmake -S . -B $(ASAN_BUILD_DIR) $(ASAN_FLAGS) -DHEARTH_SANITIZE=ON -DHEARTH_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/hearth serve --config $(CONFIG)

e2e-deps: deps
	@cd tests/e2e && { [ -d node_modules/openai ] || npm ci --no-audit --no-fund --loglevel=error; }

# Everything: the release build's whole suite, then unit and integration tests again under
# the sanitizers, and the Vulkan backend's (on lavapipe: its JIT code is not instrumented, the
# host side is).
test: build build-asan e2e-deps
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 300
	cd $(ASAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j 2 --timeout 300 -L 'unit|integration|gpu'

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	bench/gateway/run.sh

format:
	@git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
