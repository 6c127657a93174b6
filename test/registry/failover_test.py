"""A PostgreSQL primary with a synchronous streaming standby under innetd
(docs/registry.md, "A standby for the registry"): innetd's connection
string names both servers with target_session_attrs=read-write, so it
always writes to the primary. Deploys are acknowledged; the primary dies
(stopped at once, as in a crash); the standby is promoted; innetd
reconnects by itself and every acknowledged deploy is there, and deploys
go on. With synchronous_standby_names set, a commit is acknowledged only
once the standby has it: that is what makes the promotion lose nothing."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402

NET = it.example("figure3-network.json")
POLICY = it.example("figure3-policy.reach")
ECHO = "FromNetFront() -> IPFilter(allow udp dst port 7, deny all) -> IPMirror -> ToNetFront();"
DURABLE = {"synchronous_commit": "on", "fsync": "on", "full_page_writes": "on"}


def test_promoted_standby_keeps_every_acknowledged_deploy():
    with pgcluster.Cluster(settings=DURABLE) as primary:
        standby = pgcluster.Standby(primary, settings=DURABLE).start()
        try:
            # commits wait for the standby from now on (set once it exists:
            # creating the database would wait for it)
            primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
            primary.psql("SELECT pg_reload_conf()")
            deadline = time.monotonic() + 30
            while primary.psql("SELECT sync_state FROM pg_stat_replication").strip() != "sync":
                assert time.monotonic() < deadline, "the standby never became synchronous"
                time.sleep(0.1)
            print(f"  standby synchronous after {time.monotonic() - deadline + 30:.1f} s", flush=True)
            conn = (f"host=127.0.0.1,127.0.0.1 port={primary.port},{standby.port} dbname=innet "
                    f"user=innet password={primary.password} target_session_attrs=read-write "
                    "connect_timeout=2")
            with it.Daemon(network=NET, policy=POLICY, args=["--registry", conn]) as d:
                t = it.expect_status(d.post("/v1/tenants", {"name": "c", "kind": "client",
                                                             "addresses": ["172.16.15.0/24"]}), 201).json
                acked = []
                for i in range(5):
                    r = it.expect_status(d.post("/v1/modules", {"name": f"e{i}", "config": ECHO},
                                                token=t["token"]), 201)
                    acked.append(r.json["id"])
                t0 = time.monotonic()
                primary.halt()
                standby.promote()
                print(f"  primary halted, standby promoted in {time.monotonic() - t0:.1f} s", flush=True)
                # innetd finds the new primary by itself (503 until then)
                deadline = time.monotonic() + 60
                while True:
                    r = d.get("/v1/modules", token=t["token"])
                    if r.status == 200:
                        break
                    assert r.status == 503 and "retry-after" in r.headers, r
                    assert time.monotonic() < deadline, "innetd never reached the promoted standby"
                    time.sleep(0.2)
                print(f"  innetd answered again {time.monotonic() - t0:.1f} s after the primary died",
                      flush=True)
                have = sorted(m["id"] for m in r.json["modules"])
                assert have == sorted(acked), (have, acked)
                r = it.expect_status(d.post("/v1/modules", {"name": "after", "config": ECHO},
                                            token=t["token"]), 201)
                assert r.json["id"] not in acked
        finally:
            standby.stop()


it.main()
