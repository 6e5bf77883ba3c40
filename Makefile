# vcap / vplay — uncompressed video capture and playback.
#
#   make            build libvcap.a, the tools and the unit tests into build/
#   make run        install what is missing, build, run the main job (README command 1)
#   make check      install what is missing, build, run every test (README command 2)
#   make check-host host tests only          make check-vm   VM-rig scenarios only
#   make deps       install the Debian packages the build, tests and benchmarks need
#   make bench      benchmarks against fio, dd and ffmpeg (bench/run)
#   make soak       10 minutes of 1080i29.97 recording under stress-ng: drops and RSS (bench/soak)
#   make buffers    the fewest --buffers that record 1080i29.97 without a drop, per load
#                   (bench/buffers)
#   make streams    how many 1080p59.94 v210 recordings at once keep 0 drops: vcap, ffmpeg,
#                   fio (bench/streams)
#   make SANITIZE=1 ...  the same with ASan+UBSan, into build-san/
#   make fuzz-build the libFuzzer targets tests/fuzz/fuzz-*.c, with clang, into build-fuzz/
#   make fuzz       build them and run each for FUZZ_SECONDS (default 600): tests/fuzz/run
#   make install    tools, libvcap.so.0, headers, libvcap.pc, man pages, bash completion
#                   (PREFIX=/usr/local, LIBDIR=$(PREFIX)/lib, DESTDIR); make uninstall
#
# Sources are found by wildcard: a new .c in a module directory is part of libvcap.a and
# libvcap.so.0 (which exports only what the four public headers declare),
# tools/vNAME.c are programs (with their own parts tools/vNAME-*.c),
# tests/unit/test-*.c are unit-test programs, tests/vm/prog-*.c
# are programs the VM rig runs inside the guest, tests/fuzz/fuzz-*.c are libFuzzer targets.

CC ?= gcc
PKG_CONFIG ?= pkg-config
PKGS := liburing libavformat libavfilter libavcodec libavutil libv4l2 libdrm alsa

# build-san/ holds sanitizer objects only: a make naming it (BUILD=build-san, as tests/run
# exports it to the tests that run make install) links them with the sanitizers too.
ifeq ($(BUILD),build-san)
SANITIZE := 1
endif
# build-fuzz/ likewise holds clang objects with libFuzzer's coverage hooks and ASan+UBSan
# (make fuzz-build runs make FUZZ=1); only the fuzz targets link with libFuzzer itself.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
ifeq ($(BUILD),build-fuzz)
FUZZ := 1
endif
ifeq ($(FUZZ),1)
BUILD := build-fuzz
override CC := $(FUZZ_CC)
SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FUZZ_LINK := -fsanitize=fuzzer,address,undefined
else ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Idiskio -Imov -Icapture -Iplayback -Itools \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu17 $(WARN) $(SAN) -MMD -MP
# --as-needed: a tool links only the libraries it calls (every tool reads MOV through
# libavformat now, so all four load it)
LDFLAGS += $(SAN) -Wl,--as-needed
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

# The library's version: the SONAME changes (libvcap.so.0 -> .1) only when the ABI breaks.
VERSION := 0.1.0
SOVERSION := 0

# The tools in build/ find build/libvcap.so.0 beside them; the copies that make install
# installs are linked again without it (a fixed search path does not belong in /usr/bin).
RPATH := -Wl,-rpath,'$$ORIGIN'

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

MODULES := diskio mov capture playback
PUBLIC_HEADERS := diskio/dio.h mov/mov.h capture/cap.h playback/play.h
comma := ,
LIB_SRCS := $(wildcard $(addsuffix /*.c,$(MODULES)))
TOOL_PARTS := $(wildcard tools/v*-*.c)
TOOL_MAINS := $(filter-out $(TOOL_PARTS),$(wildcard tools/v*.c))
TOOL_COMMON := $(filter-out $(TOOL_MAINS) $(TOOL_PARTS),$(wildcard tools/*.c))
TEST_SRCS := $(wildcard tests/unit/test-*.c)
VM_PROG_SRCS := $(wildcard tests/vm/prog-*.c)
EXAMPLE_SRCS := $(wildcard examples/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)

LIB := $(BUILD)/libvcap.a
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
SONAME := libvcap.so.$(SOVERSION)
SHLIB := $(BUILD)/libvcap.so.$(VERSION)
SHLIB_LINKS := $(BUILD)/$(SONAME) $(BUILD)/libvcap.so
TOOLS := $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_MAINS))
DIST_TOOLS := $(patsubst tools/%.c,$(BUILD)/dist/%,$(TOOL_MAINS))
MANS := $(patsubst tools/%.c,$(BUILD)/man/%.1,$(TOOL_MAINS))
TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
VM_PROGS := $(patsubst tests/vm/%.c,$(BUILD)/vmprogs/%,$(VM_PROG_SRCS))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(FUZZ_SRCS))
TOOL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TOOL_COMMON))

all: $(LIB) $(SHLIB_LINKS) $(TOOLS) $(TESTS) $(VM_PROGS) $(EXAMPLES)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# One set of module objects for both libraries: position-independent, and hidden unless a
# public header says otherwise (#pragma GCC visibility in dio.h, mov.h, cap.h, play.h).
$(LIB_OBJS): CFLAGS += -fPIC -fvisibility=hidden

# The static archive keeps every module symbol: the unit tests and the VM programs test
# internals through it.
$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# The version script is the second fence: only the four prefixes, under one version node.
# -z defs: an undefined symbol (a library missing from LDLIBS) fails here, not at load time.
$(SHLIB): $(LIB_OBJS) libvcap.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script,libvcap.map \
		$(if $(SAN),,-Wl,-z,defs) -o $@ $(LIB_OBJS) $(LDLIBS)

$(SHLIB_LINKS): $(SHLIB)
	ln -sf $(notdir $<) $@

# A tool is tools/vNAME.c plus its own parts tools/vNAME-*.c plus the shared tools/*.c,
# linked against libvcap.so.0.
.SECONDEXPANSION:
TOOL_PREREQS = $(BUILD)/tools/v$*.o $(addprefix $(BUILD)/,$(subst .c,.o,$(wildcard tools/v$*-*.c))) \
	$(TOOL_OBJS)
$(BUILD)/v%: $$(TOOL_PREREQS) $(SHLIB_LINKS)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_PREREQS) -L$(BUILD) -lvcap $(LDLIBS) $(RPATH)

$(BUILD)/dist/v%: $$(TOOL_PREREQS) $(SHLIB_LINKS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_PREREQS) -L$(BUILD) -lvcap $(LDLIBS)

# Man pages come from each tool's --help (complete by design), with man/NAME.h2m adding
# the sections a --help has no place for. help2man runs the tool through man/help2man-help,
# under the tool's name, which only rewrites extra usage lines into help2man's "or:" form;
# LD_LIBRARY_PATH lets tools built with RPATH= run here too.
$(BUILD)/man/%.1: $(BUILD)/% man/help2man-help $$(wildcard man/$$*.h2m)
	@mkdir -p $(@D)/bin
	ln -sf $(abspath man/help2man-help) $(@D)/bin/$*
	VCAP_HELP2MAN_BIN=$(abspath $(BUILD)) LD_LIBRARY_PATH=$(abspath $(BUILD)) \
		help2man --no-info --no-discard-stderr \
		--version-string=$(VERSION) $(addprefix --include=,$(wildcard man/$*.h2m)) \
		-o $@.tmp $(@D)/bin/$*
	sed -e 's/^\(\\fB\)\{0,1\}@@BR@@/.br\n\1/' -e 's/ @@BR@@/\n.br\n/g' -e 's/@@SP@@/\\ /g' \
		$@.tmp | sed -e '/^\.TP$$/{N;s/^\.TP\n\.br$$/.br/;}' >$@
	rm -f $@.tmp

man: $(MANS)

# libvcap.pc is written at install time: PREFIX, LIBDIR and INCLUDEDIR are the install's.
install: $(DIST_TOOLS) $(SHLIB_LINKS) $(MANS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/vcap $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	$(INSTALL) -m 755 $(DIST_TOOLS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvcap.so
	$(INSTALL) -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/vcap/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' libvcap.pc.in \
		>$(DESTDIR)$(PKGCONFIGDIR)/libvcap.pc
	$(INSTALL) -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 completion/vcap $(DESTDIR)$(COMPLETIONDIR)/vcap
	for t in $(filter-out vcap,$(notdir $(DIST_TOOLS))); do \
		ln -sf vcap $(DESTDIR)$(COMPLETIONDIR)/$$t || exit 1; done

# Only the files install wrote; the directories are left (they may be shared, e.g. /usr/bin).
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(DIST_TOOLS))) \
		$(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libvcap.so $(DESTDIR)$(PKGCONFIGDIR)/libvcap.pc \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/vcap/,$(notdir $(PUBLIC_HEADERS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANS))) \
		$(addprefix $(DESTDIR)$(COMPLETIONDIR)/,$(notdir $(DIST_TOOLS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/vcap 2>/dev/null

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(TOOL_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Programs that run inside the VM rig (tests/vm/prog-*.c).
$(BUILD)/vmprogs/prog-%: $(BUILD)/tests/vm/prog-%.o $(TOOL_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# examples/NAME.c: programs that show the library's API, linked against libvcap.so.0 alone,
# as a program built with pkg-config --libs libvcap is.
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(SHLIB_LINKS)
	$(CC) $(LDFLAGS) -o $@ $< -L$(BUILD) -lvcap $(if $(RPATH),-Wl$(comma)-rpath$(comma)'$$ORIGIN/..')

# A fuzz target is tests/fuzz/fuzz-NAME.c (LLVMFuzzerTestOneInput) linked with libFuzzer, the
# static library and the tools' common objects (the option parsers), in build-fuzz/ only.
$(BUILD)/fuzz-%: $(BUILD)/tests/fuzz/fuzz-%.o $(TOOL_OBJS) $(LIB)
	$(CC) $(FUZZ_LINK) -Wl,--as-needed -o $@ $^ $(LDLIBS)

fuzz-targets: $(FUZZERS)

fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-targets

# Every target for FUZZ_SECONDS each (nice 10), from the seeds in tests/fuzz/corpus/; what
# it finds goes to build-fuzz/corpus/ and crashes to build-fuzz/crashes/.
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

deps:
	@.ci/deps

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/demo

check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run host vm

check-host: all
	@BUILD=$(BUILD) tests/run host

check-vm: all
	@BUILD=$(BUILD) tests/run vm

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run

soak: deps
	@$(MAKE) --no-print-directory all
	@VCAP_BIN=$(CURDIR)/$(BUILD) bench/soak

buffers: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/buffers

streams: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/streams

format:
	clang-format -i $(LIB_SRCS) $(wildcard */*.h) $(TOOL_MAINS) $(TOOL_PARTS) $(TOOL_COMMON) $(TEST_SRCS) \
		$(FUZZ_SRCS)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all man install uninstall deps run check check-host check-vm bench soak buffers streams format \
	clean fuzz fuzz-build fuzz-targets
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
