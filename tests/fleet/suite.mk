# The fleet suite: TLS to Redis (the fault matrix, mutual TLS), Sentinel
# with AUTH, ROLE-checked lists, host names under the deadline, Redis
# Cluster with a slot migration and a failover, and the documented fleet
# configurations, against real redis-server and redis-sentinel processes
# in a private mount namespace (tests/fleet).  As root.
DEB_PKGS += openssl redis-server redis-sentinel redis-tools util-linux python3
SUITES   += check-fleet

$(BUILD)/tests/fleet_logins: tests/fleet/logins.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Wno-format-nonliteral $< -o $@ $(LDFLAGS) -lpam

.PHONY: check-fleet
check-fleet: all $(BUILD)/tests/fleet_logins
	tests/fleet/run.sh $(BUILD)
