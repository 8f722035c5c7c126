# SPDX-License-Identifier: GPL-2.0
#
# tools/soak.mk: `make soak`, not part of `make test`: tcpclose for SOAK_MINUTES (30) under
# SOAK_RATE (200) connections a second, with --metrics, --stuck and -i, scraped every second;
# a line a minute (RSS, BPF map memory, CPU, losses, records), then verdicts, also written to
# docs/SOAK.md. Included by the top Makefile (which provides CHURN through tools/bench.mk).
#
#   make soak
#   make soak SOAK_MINUTES=5 SOAK_RATE=1000 SOAK_DOC=

SOAK_MINUTES ?= 30
SOAK_RATE ?= 200
SOAK_DOC ?= docs/SOAK.md

.PHONY: soak

soak: check-root all $(CHURN)
	$(Q)TCPCLOSE=./tcpclose CHURN=$(CHURN) tools/soak.py --minutes $(SOAK_MINUTES) \
		--rate $(SOAK_RATE) $(if $(SOAK_DOC),--doc $(SOAK_DOC))
