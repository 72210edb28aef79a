# Vigil build. `make` builds build/bin/{vigild,vigilctl}; `make check` runs
# every test (unit, then system tests when root). `make SAN=1` builds with
# ASan+UBSan into build-san/. CC=clang works the same.

CC ?= gcc
SAN ?= 0
BUILD ?= $(if $(filter 1,$(SAN)),build-san,build)
PYTHON ?= /usr/bin/python3

PKGS := libsystemd inih jansson libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) libcurl libmicrohttpd blkid libmnl)
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CURL_LIBS := $(shell pkg-config --libs libcurl)
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd)
BLKID_LIBS := $(shell pkg-config --libs blkid)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)
MNL_LIBS := $(shell pkg-config --libs libmnl)

CFLAGS ?= -O2 -g
CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
          -Wno-unused-parameter -fno-strict-aliasing -pthread $(PKG_CFLAGS)
LDFLAGS ?=
LDFLAGS += -pthread
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# libvigil: everything vigild, vigilctl, vigil-witness and the unit tests share
LIB_SRCS := $(wildcard src/common/*.c src/conf/*.c src/proto/*.c src/membership/*.c src/resources/*.c src/groups/*.c src/fencing/*.c) \
            src/links/disk_io.c src/links/ping_packet.c
VIGILD_SRCS := $(filter-out src/links/disk_io.c src/links/ping_packet.c,\
                 $(wildcard src/daemon/*.c src/links/*.c src/api/*.c))
CTL_SRCS := $(wildcard src/ctl/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
VIGILD_OBJS := $(VIGILD_SRCS:%.c=$(BUILD)/obj/%.o)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
LIBVIGIL := $(BUILD)/lib/libvigil.a

BINS := $(BUILD)/bin/vigild $(BUILD)/bin/vigilctl $(BUILD)/bin/vigil-witness

.PHONY: all check check-unit check-system unit-tests clean format format-check demo bench bench-failover bench-compare
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBVIGIL): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/vigild: $(VIGILD_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CURL_LIBS) $(MNL_LIBS)

$(BUILD)/bin/vigilctl: $(CTL_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(BLKID_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MNL_LIBS) $(CMOCKA_LIBS)

# the runner's test also drives the real netlink calls in a namespace of its own (as root)
$(BUILD)/obj/tests/unit/test_runner.o: CFLAGS += -DRUNNER_TEST_NETLINK

# vigilctl's pieces are tested without its main()
CTL_TEST_OBJS := $(filter-out %/main.o,$(CTL_OBJS))
$(BUILD)/tests/test_ctl_%: $(BUILD)/obj/tests/unit/test_ctl_%.o $(CTL_TEST_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(BLKID_LIBS) $(CMOCKA_LIBS)

# ---- vigil-witness (src/witness, docs/witness-api.md) ----
WITNESS_SRCS := $(wildcard src/witness/*.c)
WITNESS_OBJS := $(WITNESS_SRCS:%.c=$(BUILD)/obj/%.o)
# the witness without its libmicrohttpd glue and main(): what its unit tests link
WITNESS_TEST_OBJS := $(filter-out %/http.o %/main.o,$(WITNESS_OBJS))
WITNESS_TESTS := test_witness_request test_witness_registry test_witness_token test_witness_serve
WITNESS_TEST_BINS := $(WITNESS_TESTS:%=$(BUILD)/tests/%)

$(BUILD)/bin/vigil-witness: $(WITNESS_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MHD_LIBS)

$(WITNESS_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(WITNESS_TEST_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# test-only tools the system tests drive (tests/tools)
$(BUILD)/tests/vigil_iptool: $(BUILD)/obj/tests/tools/vigil_iptool.o $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS)
TEST_TOOLS := $(BUILD)/tests/vigil_iptool $(BUILD)/tests/vigil_pingtool
$(BUILD)/tests/vigil_pingtool: $(BUILD)/obj/tests/tools/vigil_pingtool.o $(BUILD)/obj/src/links/ping.o $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

unit-tests: $(TEST_BINS)

# Unit tests: plain C with cmocka, fast.
check-unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; $$t; done

# System tests: real daemons in network namespaces; they skip without root.
# PYTEST_ARGS='-m "not soak"' leaves out the soak tests (minutes long).
PYTEST_ARGS ?=
check-system: $(BINS) $(TEST_TOOLS)
	VIGIL_BUILD=$(BUILD) $(PYTHON) -m pytest -q -rs $(PYTEST_ARGS) tests/system

check: check-unit check-system

demo: $(BINS)
	VIGIL_BUILD=$(BUILD) $(PYTHON) demo/cluster.py

bench: $(BINS)
	VIGIL_BUILD=$(BUILD) $(PYTHON) bench/detect

# bench/failover: client-observed failover of the demo's group after crashes
# of its holder (BENCH_ARGS=--quick for 3); writes bench/results/failover-*.md
bench-failover: $(BINS)
	VIGIL_BUILD=$(BUILD) $(PYTHON) bench/failover $(BENCH_ARGS)

# bench/compare: Vigil side by side with keepalived, Heartbeat and Corosync +
# Pacemaker (docs/bench-compare.md; packages: sudo bench/compare/install-deps);
# BENCH_ARGS=--quick for 2 runs; writes bench/results/compare-*
bench-compare: $(BINS)
	VIGIL_BUILD=$(BUILD) $(PYTHON) bench/compare/run $(BENCH_ARGS)

FORMAT_FILES = $(LIB_SRCS) $(VIGILD_SRCS) $(CTL_SRCS) $(WITNESS_SRCS) $(TEST_SRCS) $(wildcard src/*/*.h tests/tools/*.c)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build build-san build-clang build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- fuzzing (fuzz/, docs/fuzzing.md) ------------------------------------
# `make fuzz` builds one libFuzzer target per parser into build-fuzz/fuzz/,
# each compiled together with the library sources it exercises (clang,
# -fsanitize=fuzzer,address,undefined; libFuzzer comes with libclang-rt-14-dev).
# `make fuzz-smoke` runs each for FUZZ_SECONDS on a copy of its seed corpus
# (fuzz/corpus/TARGET) and fails on any crash, leak, timeout or broken
# property; crash inputs land in build-fuzz/artifacts/. `make fuzz-seeds`
# regenerates the seed corpus with fuzz/gen_seeds.c.
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
FUZZ_FLAGS := -g -O1 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
              -Wno-unused-parameter -fno-strict-aliasing -fno-omit-frame-pointer \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_LIBS := $(PKG_LIBS)
FUZZ_TARGETS := fuzz_conf fuzz_wire fuzz_disk_block fuzz_witness_request fuzz_witness_answer \
                fuzz_keyfile fuzz_duration fuzz_ip_parse
FUZZ_SRCS_fuzz_conf := $(wildcard src/conf/*.c) src/common/errbuf.c src/resources/ip_parse.c
FUZZ_SRCS_fuzz_wire := src/proto/wire.c
FUZZ_SRCS_fuzz_disk_block := src/proto/disk_block.c src/proto/group_report.c
FUZZ_SRCS_fuzz_witness_request := src/witness/serve.c src/witness/request.c \
                                  src/witness/registry.c src/witness/token.c src/common/errbuf.c \
                                  src/proto/group_report.c
FUZZ_SRCS_fuzz_witness_answer := src/proto/witness_msg.c src/proto/group_report.c
FUZZ_SRCS_fuzz_keyfile := src/common/keyfile.c src/witness/token.c src/common/errbuf.c
FUZZ_SRCS_fuzz_duration := src/conf/duration.c
FUZZ_SRCS_fuzz_ip_parse := src/resources/ip_parse.c src/witness/listen.c src/common/errbuf.c
FUZZ_GEN_SRCS := src/proto/wire.c src/proto/disk_block.c src/proto/witness_msg.c \
                 src/proto/group_report.c src/witness/registry.c src/witness/request.c \
                 src/common/errbuf.c
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/%)
FUZZ_HEADERS := fuzz/fuzz.h $(wildcard src/*/*.h)

.PHONY: fuzz fuzz-smoke fuzz-seeds
fuzz: $(FUZZ_BINS)

define FUZZ_RULE
$(FUZZ_BUILD)/fuzz/$(1): fuzz/$(1).c $$(FUZZ_SRCS_$(1)) $$(FUZZ_HEADERS)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -o $$@ $$< $$(FUZZ_SRCS_$(1)) $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULE,$(t))))

$(FUZZ_BUILD)/gen_seeds: fuzz/gen_seeds.c $(FUZZ_GEN_SRCS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	    $(PKG_CFLAGS) -o $@ $< $(FUZZ_GEN_SRCS) $(PKG_LIBS)

# Line coverage of the parsers by a corpus (default: the seeds; FUZZ_CORPUS=DIR
# for a directory holding one subdirectory per target, e.g. a kept run's).
FUZZ_CORPUS ?= fuzz/corpus
FUZZ_COV_FLAGS := -g -O0 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer \
                  -fprofile-instr-generate -fcoverage-mapping $(PKG_CFLAGS)
FUZZ_COV_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/cov/%)

define FUZZ_COV_RULE
$(FUZZ_BUILD)/cov/$(1): fuzz/$(1).c $$(FUZZ_SRCS_$(1)) $$(FUZZ_HEADERS)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_COV_FLAGS) -o $$@ $$< $$(FUZZ_SRCS_$(1)) $$(FUZZ_LIBS)

.PHONY: fuzz-coverage-$(1)
fuzz-coverage-$(1): $(FUZZ_BUILD)/cov/$(1)
	@LLVM_PROFILE_FILE=$(FUZZ_BUILD)/cov/$(1).profraw $(FUZZ_BUILD)/cov/$(1) -runs=0 \
	    $(FUZZ_CORPUS)/$(1) >/dev/null 2>&1
	@llvm-profdata merge -sparse $(FUZZ_BUILD)/cov/$(1).profraw -o $(FUZZ_BUILD)/cov/$(1).profdata
	@echo "== $(1)"
	@llvm-cov report $(FUZZ_BUILD)/cov/$(1) -instr-profile=$(FUZZ_BUILD)/cov/$(1).profdata \
	    -show-region-summary=false -show-branch-summary=false $$(FUZZ_SRCS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_COV_RULE,$(t))))

.PHONY: fuzz-coverage
fuzz-coverage: $(FUZZ_TARGETS:%=fuzz-coverage-%)

fuzz-seeds: $(FUZZ_BUILD)/gen_seeds
	$(FUZZ_BUILD)/gen_seeds fuzz/corpus docs/configuration.md

# One target at a time (the machine may be shared), each on a scratch copy of
# its corpus so that the repository stays clean; the log is kept in
# build-fuzz/logs/ and its tail shown when a target fails.
fuzz-smoke: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_BUILD)/logs $(FUZZ_BUILD)/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
	    dir=$$(mktemp -d "$${TMPDIR:-/tmp}/vigil-fuzz-$$t.XXXXXX"); \
	    cp fuzz/corpus/$$t/* "$$dir"/; \
	    log=$(FUZZ_BUILD)/logs/$$t.log; \
	    printf '== %-22s %ss ... ' $$t $(FUZZ_SECONDS); \
	    if $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
	        -rss_limit_mb=$(FUZZ_RSS_MB) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- "$$dir" >"$$log" 2>&1; then \
	        rm -rf "$$dir"; \
	        echo "ok: $$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$') execs, $$(grep -o 'cov: [0-9]* ft: [0-9]*' $$log | tail -1)"; \
	    else \
	        rm -rf "$$dir"; echo FAILED; tail -n 40 "$$log"; \
	        echo "fuzz-smoke: $$t failed; log: $$log; input: $$(ls -t $(FUZZ_BUILD)/artifacts/$$t-* 2>/dev/null | head -1)"; \
	        exit 1; \
	    fi; \
	done

# ---- model check (model/, docs/membership.md "The model") ---------------
# `make model-check` checks the Promela model of view agreement and witness
# arbitration with spin (N = 2, 3, 4 nodes) in a temporary directory, two
# runs at a time, and fails on any error. About 4 minutes on 2 cores;
# MODEL_MINUTES=N sets the budget of each bitstate run (default 2).
.PHONY: model-check
model-check:
	MODEL_MINUTES=$(or $(MODEL_MINUTES),2) sh model/check.sh
