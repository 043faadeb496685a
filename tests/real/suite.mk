# The real-program suite: sshd, su, sudo, login, passwd and pamtester
# against the built package, in a private mount namespace (tests/real).
# As root; about two minutes.
DEB_PKGS += openssh-server openssh-client sshpass expect sudo login passwd \
            util-linux libpam-runtime
SUITES   += check-real

REAL_DEB := $(BUILD)/libpam-unified_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
REAL_SRC := $(MODULE) $(CTL) contrib/pam-configs/unified conf/pam_unified.conf

.PHONY: check-real
check-real: all
	@[ -f $(REAL_DEB) ] && [ -z "$$(find $(REAL_SRC) -newer $(REAL_DEB))" ] || \
	    $(MAKE) deb >/dev/null
	PU_REAL_DEB=$(REAL_DEB) tests/real/run.sh
