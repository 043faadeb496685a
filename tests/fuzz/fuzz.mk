# libFuzzer targets: tests/fuzz/fuzz_<name>.c, one per parser.
# Included from the Makefile; only these targets use clang, so `make`,
# `make all` and the gcc build never need it.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_PARALLEL=2]
#       every target for FUZZ_SECONDS from a scratch copy of its seed
#       corpus; prints the executions of each; fails if any crashed
#       (the input is kept under build-fuzz/run/<name>/)
#   make fuzz-replay
#       every target once over tests/fuzz/corpus/<name> and
#       tests/fuzz/crashes/<name>: seconds, fails on any crash (for
#       `make check`); nothing is written into the committed dirs
#   make fuzz-build, fuzz-clean
#
# The project's sources are compiled again by clang, with coverage and
# the sanitizers, into $(FUZZ_BUILD) (never build/).

FUZZ_CC       ?= clang
FUZZ_BUILD    ?= build-fuzz
FUZZ_SECONDS  ?= 60
FUZZ_PARALLEL ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -Isrc -Itests/fuzz $(PKG_CFLAGS) -std=gnu11 -g -O1 \
                 -fno-omit-frame-pointer -Wall -Wextra -MMD -MP $(FUZZ_SAN)
FUZZ_TARGETS  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB_OBJ  := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_ARCHIVE  := $(FUZZ_BUILD)/libpam_unified.a

.PHONY: fuzz fuzz-build fuzz-replay fuzz-clean fuzz-seeds

fuzz-build: $(FUZZ_BINS)

# the library: instrumented for coverage, no libFuzzer main
$(FUZZ_BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_ARCHIVE): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# the targets: warnings are errors here, as in the gcc build
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_ARCHIVE)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Werror -fsanitize=fuzzer $< -o $@ \
	    $(FUZZ_ARCHIVE) $(LIBS) -lpthread

fuzz: $(FUZZ_BINS)
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	FUZZ_PARALLEL=$(FUZZ_PARALLEL) tests/fuzz/run.sh fuzz $(FUZZ_TARGETS)

fuzz-replay: $(FUZZ_BINS)
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh replay $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean: fuzz-clean

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:=.d)

# Regenerates the replay seeds (valid files from the serialiser, with the
# fixed key and user of tests/fuzz/replay.h); the text seeds are plain
# files under tests/fuzz/corpus.
$(FUZZ_BUILD)/gen_replay_seeds: tests/fuzz/gen_replay_seeds.c $(FUZZ_ARCHIVE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror $< -o $@ $(FUZZ_ARCHIVE) $(LIBS)

fuzz-seeds: $(FUZZ_BUILD)/gen_replay_seeds
	@mkdir -p tests/fuzz/corpus/replay_file tests/fuzz/corpus/replay_records
	$< tests/fuzz/corpus/replay_file tests/fuzz/corpus/replay_records
