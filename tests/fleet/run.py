"""The fleet suite: TLS to Redis, Sentinel with AUTH, ROLE-checked lists,
host names under the deadline, Redis Cluster (slot migration, failover),
and the fleet configurations the documents show, against real
redis-server and redis-sentinel processes.

    tests/fleet/run.sh BUILD [SCENARIO ...]

Each scenario is a module of this folder with run(fleet, results).
"""
import importlib
import os
import sys
import time

import fleetlib

SCENARIOS = ["tls", "sentinel", "names", "cluster", "docs"]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    only = sys.argv[2:] or SCENARIOS
    res = fleetlib.Results()
    f = fleetlib.Fleet(build)
    t_all = time.monotonic()
    times = []
    try:
        f.setup()
        for name in only:
            mod = importlib.import_module(name)
            res.scenario = name
            t0 = time.monotonic()
            try:
                mod.run(f, res)
            except Exception:  # a scenario that breaks is a failure
                import traceback
                res.check("ran to its end", False, traceback.format_exc())
            finally:
                for s in list(f.servers):
                    s.stop(fleetlib.signal.SIGKILL)
            times.append((name, time.monotonic() - t0))
    finally:
        f.cleanup()
    print("\n== time per scenario")
    for name, secs in times:
        print("  %-12s %6.1f s" % (name, secs))
    print("fleet: %d passed, %d failed, %.1f s" % (
        res.passed, len(res.failed), time.monotonic() - t_all))
    for x in res.failed:
        print("FAILED: " + x)
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
