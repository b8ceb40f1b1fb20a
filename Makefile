# rnnbench. `make` builds build/rnnbench (and build/rnnbench_gbench when
# Google Benchmark is installed); `make check` runs the tests; `make bench`
# checks agreement and then benchmarks. Both first install what is missing
# (as root; otherwise they print the apt-get line). See README.md.
#
# Every .c under kernels/, variants/ and harness/ is built: adding a file is
# enough. ISA flags go only on files under a directory named after the ISA
# (avx2/, avx512/, neon/), so the rest runs on any CPU of the architecture
# and the registry chooses at run time. No -march=native.
#
#   make SANITIZE=1     ASan + UBSan build in build-san/
#   make ARCH=aarch64   cross build (NEON) in build-aarch64/, run with qemu
#   make V=1            show the commands

ARCH ?= $(shell uname -m)
SANITIZE ?= 0

ifeq ($(ARCH),aarch64)
  ifneq ($(shell uname -m),aarch64)
    CC := aarch64-linux-gnu-gcc
    CXX := aarch64-linux-gnu-g++
    RUNNER := qemu-aarch64 -L /usr/aarch64-linux-gnu
    CROSS := 1
  endif
  BUILD ?= build-aarch64
else
  ifeq ($(SANITIZE),1)
    BUILD ?= build-san
  else
    BUILD ?= build
  endif
endif
CC ?= gcc
CXX ?= g++
RUNNER ?=
CROSS ?= 0
PKG_CONFIG ?= pkg-config

OPT := -O2
ifeq ($(SANITIZE),1)
  OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS ?=
CPPFLAGS_ALL := -D_GNU_SOURCE -MMD -MP
CFLAGS_ALL := -std=c11 $(OPT) -g -Wall -Wextra -fopenmp $(CFLAGS)
LDLIBS_ALL := -fopenmp -lm

FLAGS_avx2 := -mavx2 -mfma
FLAGS_avx512 := -mavx2 -mfma -mavx512f -mavx512dq -mavx512bw -mavx512vl
isa_flags = $(if $(findstring /avx512/,$1),$(FLAGS_avx512),$(if $(findstring /avx2/,$1),$(FLAGS_avx2)))

# ---- optional dependencies: each one found or reported, never fatal ----
have_header = $(shell printf '\043include <%s>\nint main(void){return 0;}\n' '$1' | \
                $(CC) -x c - -o /dev/null $2 >/dev/null 2>&1 && echo 1)

ifeq ($(CROSS),1)
  HAVE_HWLOC :=
  HAVE_DNNL :=
  HAVE_BLAS :=
  HAVE_CMOCKA :=
  HAVE_GBENCH :=
else
  HAVE_HWLOC := $(shell $(PKG_CONFIG) --exists hwloc 2>/dev/null && echo 1)
  HAVE_DNNL := $(call have_header,oneapi/dnnl/dnnl.h,-ldnnl)
  HAVE_BLAS := $(call have_header,cblas.h,-lopenblas)
  HAVE_CMOCKA := $(shell $(PKG_CONFIG) --exists cmocka 2>/dev/null && echo 1)
  HAVE_GBENCH := $(shell printf '\043include <benchmark/benchmark.h>\nint main(){return 0;}\n' | \
                   $(CXX) -x c++ - -o /dev/null -lbenchmark -lpthread >/dev/null 2>&1 && echo 1)
endif

OPTIONAL_OFF :=
ifeq ($(HAVE_HWLOC),1)
  CPPFLAGS_ALL += -DRB_HAVE_HWLOC=1 $(shell $(PKG_CONFIG) --cflags hwloc)
  LDLIBS_ALL += $(shell $(PKG_CONFIG) --libs hwloc)
else
  OPTIONAL_OFF += hwloc(libhwloc-dev: no topology or binding report)
endif
ifeq ($(HAVE_DNNL),1)
  CPPFLAGS_ALL += -DRB_HAVE_DNNL=1
  LDLIBS_ALL += -ldnnl
else
  OPTIONAL_OFF += oneDNN(libdnnl-dev: no onednn peer)
endif
ifeq ($(HAVE_BLAS),1)
  CPPFLAGS_ALL += -DRB_HAVE_BLAS=1
  LDLIBS_ALL += -lopenblas
else
  OPTIONAL_OFF += OpenBLAS(libopenblas-dev: no blas peer)
endif

CPPFLAGS_ALL += -DRB_COMPILER_FLAGS='"$(strip $(CFLAGS_ALL))"'

# ---- sources ----
ALL_SRC := $(sort $(shell find kernels variants harness -name '*.c'))
without = $(foreach f,$2,$(if $(findstring $1,$f),,$f))
ifeq ($(ARCH),aarch64)
  SRC := $(call without,/avx512/,$(call without,/avx2/,$(ALL_SRC)))
else
  SRC := $(call without,/neon/,$(ALL_SRC))
endif
ifneq ($(HAVE_DNNL),1)
  SRC := $(filter-out variants/peers/onednn%,$(SRC))
endif
ifneq ($(HAVE_BLAS),1)
  SRC := $(filter-out variants/peers/blas%,$(SRC))
endif
MAIN_SRC := harness/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/librnnbench.a
BIN := $(BUILD)/rnnbench

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SH := $(sort $(wildcard tests/test_*.sh))
GBENCH := $(BUILD)/rnnbench_gbench

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

.PHONY: all check test-bin neon-check bench gbench plots compare gradplots torch-compare clean deps help FORCE
all: $(BIN) $(if $(HAVE_GBENCH),$(GBENCH))

# What was detected, as one line in $(CONFIG): every object depends on it,
# and it is rewritten only when the line changes, so installing or removing
# an optional dependency rebuilds the objects (and then the library, the
# binaries and the tests) with the new options, and an unchanged set
# rebuilds nothing.
CONFIG := $(BUILD)/config.stamp
CONFIG_LINE := $(strip $(filter -DRB_HAVE_%,$(CPPFLAGS_ALL)) $(filter -l%,$(LDLIBS_ALL)))
$(CONFIG): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CONFIG_LINE)' | cmp -s - $@ || { echo '$(CONFIG_LINE)' > $@; \
	    [ "$(V)" = 1 ] || echo "  CONFIG $(CONFIG_LINE)"; }

$(BUILD)/obj/%.o: %.c $(CONFIG)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC  $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(call isa_flags,$<) -c $< -o $@

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/$(MAIN_SRC:.c=.o) $(LIB)
	@[ -z "$(strip $(OPTIONAL_OFF))" ] || echo "note: built without: $(OPTIONAL_OFF)"
	$(Q)$(CC) $(CFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)
	@[ "$(V)" = 1 ] || echo "  LD  $@"

# ---- tests ----
$(BUILD)/tests/%: tests/%.c $(LIB) $(BIN)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC  $<"
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -DRB_BIN='"$(abspath $(BIN))"' $< $(LIB) -o $@ $(LDLIBS_ALL) -lcmocka

test-bin: $(TEST_BIN)

# ---- make bench, make check: first what they need ----
# On a fresh machine these two are all a newcomer types. They first run
# scripts/install-deps.sh: as root it apt-get installs what is missing, for
# anyone else it prints the apt-get line and the build goes on without.
# Then make runs again: the optional dependencies are detected when the
# Makefile is read, so only a new make sees what was just installed.
# DEPS=no skips the first step (the inner make, and every make under it,
# runs with it).
DEPS ?= auto
ifeq ($(DEPS)$(CROSS),auto0)
bench check:
	@bash scripts/install-deps.sh --for $@ || echo "make $@: could not install everything (see above); going on with what is installed"
	@$(MAKE) --no-print-directory DEPS=no $@
else ifeq ($(CROSS),1)
check:
	$(MAKE) --no-print-directory ARCH=aarch64 $(BIN)
	$(RUNNER) $(BIN) check --quick
else
# Without cmocka the tests cannot be built: one message, exit 1 (a check
# that ran nothing must not pass).
check:
	@[ "$(HAVE_CMOCKA)" = 1 ] || { echo "make check: cannot build the tests: cmocka not found (pkg-config cmocka)."; \
	    echo "  as root: apt-get install -y libcmocka-dev pkg-config   (or run make check as root: it installs them)"; exit 1; }
	$(MAKE) --no-print-directory test-bin
	@RB_BIN="$(abspath $(BIN))" bash tests/run-tests.sh "$(BUILD)" $(TEST_BIN) $(TEST_SH)

bench: all
	@bash scripts/bench.sh "$(BIN)"
endif

# The NEON variants, built with the aarch64 cross compiler and checked under
# qemu-aarch64. tests/run-tests.sh calls this and counts it as a test.
neon-check:
	$(MAKE) --no-print-directory ARCH=aarch64 SANITIZE=0 check

# Google Benchmark wrapper (C++), built only when libbenchmark-dev is found
# (plain `make` builds it then).
$(GBENCH): harness/gbench.cc $(LIB) $(CONFIG)
	@[ "$(HAVE_GBENCH)" = 1 ] || { echo "gbench needs Google Benchmark: apt-get install libbenchmark-dev g++"; exit 1; }
	$(Q)$(CXX) -std=c++17 $(OPT) -g -Wall -Wextra -fopenmp $(filter -D_GNU_SOURCE -DRB_HAVE_%,$(CPPFLAGS_ALL)) $< $(LIB) -o $@ \
	    -lbenchmark -lpthread $(LDLIBS_ALL)
	@[ "$(V)" = 1 ] || echo "  LD  $@"
gbench: $(GBENCH)
	@bash scripts/gbench.sh "$(GBENCH)"

# Plots of a results directory: make plots RESULTS=results/<host>-<date>
plots:
	@bash scripts/plots.sh $(RESULTS)
# The same variants across machines: make compare RESULTS="DIR1 DIR2 ..."
compare:
	@bash scripts/compare.sh $(RESULTS)
# Gradient norms across time steps (vanishing/exploding gradients).
gradplots: $(BIN)
	@bash scripts/gradplots.sh "$(BIN)"

# Networks against PyTorch (optional, not in make check: python3-torch is
# large): scripts/torch-compare.sh. TORCH_PYTHON picks the Python that has
# torch (default /usr/bin/python3); exit 77 when there is none.
$(BUILD)/torch_netgen: tests/torch_netgen.c $(LIB)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $< $(LIB) -o $@ $(LDLIBS_ALL)
torch-compare: $(BIN) $(BUILD)/torch_netgen
	@bash scripts/torch-compare.sh "$(BIN)" "$(BUILD)/torch_netgen"

deps:
	@bash scripts/install-deps.sh

clean:
	rm -rf build build-san build-aarch64

help:
	@sed -n '1,14p' Makefile

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
