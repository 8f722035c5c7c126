# SPDX-License-Identifier: GPL-2.0
#
# tools/deb.mk: what a distribution installs beside the two binaries, and the Debian package.
# Included by the top Makefile, which provides OUTPUT, PREFIX, DESTDIR, VERSION, Q and msg.
#
#   make man                 the man pages, from docs/man/*.8.md (pandoc), in $(OUTPUT)/man
#   make install             also installs them, the bash completion, the systemd unit (not
#                            enabled) and, as examples, the Prometheus rules and the Grafana
#                            dashboard
#   make deb                 .output/deb/tcpclose_$(VERSION)_ARCH.deb, built by
#                            dpkg-buildpackage from a copy of the files git tracks (debian/),
#                            then checked by lintian: no error may remain

PANDOC ?= pandoc
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
EXAMPLESDIR ?= $(PREFIX)/share/doc/tcpclose/examples

MAN_PAGES := $(OUTPUT)/man/tcpclose.8 $(OUTPUT)/man/tcpclose-check.8 $(OUTPUT)/man/tcpclose-top.8
# the date a man page shows: the package's (dpkg-buildpackage sets SOURCE_DATE_EPOCH from
# debian/changelog), else the last commit's, so that a rebuild gives the same page
MAN_DATE = $(shell if [ -n "$$SOURCE_DATE_EPOCH" ]; then date -u -d "@$$SOURCE_DATE_EPOCH" +%F; \
		else git log -1 --format=%cs 2>/dev/null || date -u +%F; fi)

.PHONY: man install-extras uninstall-extras deb

man: $(MAN_PAGES)

$(OUTPUT)/man:
	$(Q)mkdir -p $@

$(OUTPUT)/man/%.8: docs/man/%.8.md Makefile tools/deb.mk | $(OUTPUT)/man
	$(call msg,MAN,$@)
	$(Q)command -v $(PANDOC) >/dev/null || \
		{ echo "man pages: no $(PANDOC): run 'sudo make deps'" >&2; exit 1; }
	$(Q)$(PANDOC) --standalone --from markdown-smart --to man \
		--metadata footer="tcpclose $(VERSION)" --metadata date="$(MAN_DATE)" $< -o $@

install: install-extras
uninstall: uninstall-extras

# the unit names the tracer where this install puts it
install-extras: $(MAN_PAGES)
	$(Q)install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN_PAGES)
	$(Q)install -D -m 0644 tools/completion/tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose
	$(Q)ln -sf tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose-check
	$(Q)install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)sed 's|/usr/sbin/tcpclose|$(PREFIX)/sbin/tcpclose|' tools/tcpclose.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/tcpclose.service
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/tcpclose.service
	$(Q)install -D -m 0644 -t $(DESTDIR)$(EXAMPLESDIR)/prometheus \
		tools/prometheus/tcpclose.rules.yml tools/prometheus/tcpclose.rules.test.yml
	$(Q)install -D -m 0644 -t $(DESTDIR)$(EXAMPLESDIR)/grafana tools/grafana/tcpclose.json

uninstall-extras:
	$(Q)rm -f $(DESTDIR)$(MANDIR)/man8/tcpclose.8 $(DESTDIR)$(MANDIR)/man8/tcpclose-check.8 \
		$(DESTDIR)$(MANDIR)/man8/tcpclose-top.8 \
		$(DESTDIR)$(BASHCOMPDIR)/tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose-check \
		$(DESTDIR)$(SYSTEMDUNITDIR)/tcpclose.service
	$(Q)rm -rf $(DESTDIR)$(EXAMPLESDIR)

# the package: dpkg-buildpackage runs "debian/rules clean" first, which is "make clean", so it
# builds in a copy, never in this tree (whose ./tcpclose the tests run)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_OUT := .output/deb
DEB_SRC := $(DEB_OUT)/build/tcpclose-$(VERSION)
DEB := $(DEB_OUT)/tcpclose_$(VERSION)_$(DEB_ARCH).deb
DEB_JOBS ?= $(shell nproc)
# every file git tracks, or would (not ignored): a change to any but the tests rebuilds it
DEB_FILES := $(shell git ls-files --cached --others --exclude-standard 2>/dev/null)

deb: $(DEB)

$(DEB): $(filter-out tests/%,$(wildcard $(DEB_FILES)))
	$(Q)[ -n "$(DEB_FILES)" ] || { echo "make deb: copies the files git tracks: run it in a clone" >&2; exit 1; }
	$(Q)v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "make deb: debian/changelog is at $$v, the Makefile at $(VERSION): add an entry (dch -v $(VERSION))" >&2; exit 1; }
	$(call msg,COPY,$(DEB_SRC))
	$(Q)rm -rf $(DEB_OUT)/build && mkdir -p $(DEB_SRC)
	$(Q)git ls-files -z --cached --others --exclude-standard | \
		tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C $(DEB_SRC)
	$(call msg,DEB,$@)
	$(Q)cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b -j$(DEB_JOBS) \
		$(if $(filter 1,$(V)),,>../dpkg-buildpackage.log 2>&1 || \
		{ echo "make deb: dpkg-buildpackage failed; its last lines (all: $(DEB_OUT)/build/dpkg-buildpackage.log):" >&2; \
		  tail -n 30 ../dpkg-buildpackage.log >&2; exit 1; })
	$(call msg,LINTIAN,$(DEB_OUT)/build/$(notdir $@))
	$(Q)lintian --fail-on error $(DEB_OUT)/build/$(notdir $@)
	$(Q)cp $(DEB_OUT)/build/$(notdir $@) $@
