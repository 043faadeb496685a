# The fleet suite: TLS to Redis (the fault matrix, mutual TLS), Sentinel
# with AUTH, ROLE-checked lists, host names under the deadline, Redis
# Cluster with a slot migration and a failover, and the documented fleet
# configurations, against real redis-server and redis-sentinel processes
# in a private mount namespace (tests/fleet).  As root.
DEB_PKGS += openssl redis-server redis-sentinel redis-tools util-linux python3
SUITES   += check-fleet

# libcrypt linked in (not needed by the driver itself): an ASan build
# (make BUILD=build-asan SAN=... build-asan/tests/fleet_logins, then
# tests/fleet/run.sh build-asan) intercepts crypt_r, and the interceptor
# finds the real one only in a library loaded at start
$(BUILD)/tests/fleet_logins: tests/fleet/logins.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Wno-format-nonliteral $< -o $@ $(LDFLAGS) -lpam -Wl,--no-as-needed -lcrypt

.PHONY: check-fleet
check-fleet: all $(BUILD)/tests/fleet_logins
	tests/fleet/run.sh $(BUILD)
