# Non-recursive build. Each module.mk appends to:
#   LIB_SRCS           sources of libmtgt.a (shm/, common/), linked into every program
#   PROGS              program names built into build/bin/
#   <prog>_SRCS        sources of one program;  <prog>_LIBS  extra link flags
#   TEST_PROGS         test/bench programs built into build/bin/ by `make tests`

CC      ?= cc
B       := build
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
           -D_GNU_SOURCE -I. -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
# Test hooks (e.g. the sandbox's forbidden-action trigger) exist only in the
# test build of the target's programs, build/hooks/bin (objects in
# $(B)/hobj, built by `make tests`); build/bin, what `make run` starts and what
# gets installed, has none.
HOOKS_BIN := build/hooks/bin
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS  += -DMTGT_SANITIZE
LDFLAGS += -fsanitize=address,undefined
B       := build/san
endif

LIB_SRCS   :=
PROGS      :=
TEST_PROGS :=

.SECONDEXPANSION:
include $(sort $(wildcard */module.mk */*/module.mk))

LIB      := $(B)/libmtgt.a
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)

# Programs always land in build/bin (the sanitizer build replaces them there) so
# that scripts and the supervisor find their siblings in one place. The flavor
# file changes when SAN does, which relinks every program into build/bin.
BIN := build/bin
FLAVOR := $(if $(filter 1,$(SAN)),san,plain)
FLAVOR_FILE := build/.flavor
$(shell mkdir -p build; [ "$$(cat $(FLAVOR_FILE) 2>/dev/null)" = "$(FLAVOR)" ] || echo $(FLAVOR) > $(FLAVOR_FILE))

define prog_rules
$(BIN)/$(1): $$($(1)_SRCS:%.c=$(B)/obj/%.o) $(LIB) $(FLAVOR_FILE)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$($(1)_LIBS) -lpthread
endef
$(foreach p,$(PROGS) $(TEST_PROGS),$(eval $(call prog_rules,$(p))))

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The same programs with test hooks compiled in (MTGT_TEST_HOOKS).
HLIB := $(B)/hobj/libmtgt.a
define hprog_rules
$(HOOKS_BIN)/$(1): $$($(1)_SRCS:%.c=$(B)/hobj/%.o) $(HLIB) $(FLAVOR_FILE)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$($(1)_LIBS) -lpthread
endef
$(foreach p,$(PROGS),$(eval $(call hprog_rules,$(p))))

$(B)/hobj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DMTGT_TEST_HOOKS -c -o $@ $<

$(HLIB): $(LIB_SRCS:%.c=$(B)/hobj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

all: $(LIB) $(PROGS:%=$(BIN)/%)
tests: $(TEST_PROGS:%=$(BIN)/%) $(PROGS:%=$(HOOKS_BIN)/%)

clean:
	rm -rf build

.PHONY: all tests clean

-include $(shell find $(B)/obj $(B)/hobj -name '*.d' 2>/dev/null)
