# SPDX-License-Identifier: GPL-2.0
#
# tools/deb.mk: what a distribution installs beside the two binaries.
# Included by the top Makefile, which provides OUTPUT, PREFIX, DESTDIR, VERSION, Q and msg.
#
#   make man                 the man pages, from docs/man/*.8.md (pandoc), in $(OUTPUT)/man
#   make install             also installs them, the bash completion and, as examples, the
#                            Prometheus rules and the Grafana dashboard

PANDOC ?= pandoc
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
EXAMPLESDIR ?= $(PREFIX)/share/doc/tcpclose/examples

MAN_PAGES := $(OUTPUT)/man/tcpclose.8 $(OUTPUT)/man/tcpclose-check.8
# the date a man page shows: the package's (dpkg-buildpackage sets SOURCE_DATE_EPOCH from
# debian/changelog), else the last commit's, so that a rebuild gives the same page
MAN_DATE = $(shell if [ -n "$$SOURCE_DATE_EPOCH" ]; then date -u -d "@$$SOURCE_DATE_EPOCH" +%F; \
		else git log -1 --format=%cs 2>/dev/null || date -u +%F; fi)

.PHONY: man install-extras uninstall-extras

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

install-extras: $(MAN_PAGES)
	$(Q)install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN_PAGES)
	$(Q)install -D -m 0644 tools/completion/tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose
	$(Q)ln -sf tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose-check
	$(Q)install -D -m 0644 -t $(DESTDIR)$(EXAMPLESDIR)/prometheus \
		tools/prometheus/tcpclose.rules.yml tools/prometheus/tcpclose.rules.test.yml
	$(Q)install -D -m 0644 -t $(DESTDIR)$(EXAMPLESDIR)/grafana tools/grafana/tcpclose.json

uninstall-extras:
	$(Q)rm -f $(DESTDIR)$(MANDIR)/man8/tcpclose.8 $(DESTDIR)$(MANDIR)/man8/tcpclose-check.8 \
		$(DESTDIR)$(BASHCOMPDIR)/tcpclose $(DESTDIR)$(BASHCOMPDIR)/tcpclose-check
	$(Q)rm -rf $(DESTDIR)$(EXAMPLESDIR)
