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
LIB_SRCS := $(wildcard src/common/*.c src/conf/*.c src/proto/*.c src/membership/*.c src/resources/*.c) \
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

.PHONY: all check check-unit check-system unit-tests clean format format-check demo bench
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBVIGIL): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/vigild: $(VIGILD_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CURL_LIBS)

$(BUILD)/bin/vigilctl: $(CTL_OBJS) $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(BLKID_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBVIGIL)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

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

FORMAT_FILES = $(LIB_SRCS) $(VIGILD_SRCS) $(CTL_SRCS) $(WITNESS_SRCS) $(TEST_SRCS) $(wildcard src/*/*.h tests/tools/*.c)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
