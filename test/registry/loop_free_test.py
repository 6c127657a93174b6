"""The registry's statements never block innetd's loop (issue 13): they
run on the registry thread. With innetd on PostgreSQL, the test takes a
lock that makes innetd's statement on the tenants table wait; while it
waits, /v1/health and /metrics (which need no registry) are answered,
and once the lock is released the waiting request completes as usual.
With the audit table locked instead, audit rows wait in a bounded queue:
past 4096 they are dropped and counted, and the rest are written once
the lock is released."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import innet_test as it  # noqa: E402
import pgcluster  # noqa: E402


def locks_on_tenants(pg, granted):
    return int(pg.psql("SELECT count(*) FROM pg_locks WHERE relation = 'tenants'::regclass "
                       f"AND granted = {'true' if granted else 'false'}").strip() or 0)


def test_a_locked_table_does_not_block_the_loop():
    with pgcluster.Cluster() as pg:
        with it.Daemon(args=["--registry", pg.conninfo]) as d:
            it.expect_status(d.get("/v1/health", token=None), 200)
            lock = pg.session()
            try:
                lock.write("BEGIN;")
                lock.write("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE;")
                it.wait_for("the test's lock on tenants", lambda: locks_on_tenants(pg, True) >= 1)

                # a request that needs the table: its statement waits for the lock
                got = {}
                waiter = threading.Thread(target=lambda: got.update(r=d.post(
                    "/v1/tenants", {"name": "patient", "kind": "client"}, fresh=True)))
                waiter.start()
                it.wait_for("innetd's statement to wait for the lock",
                            lambda: locks_on_tenants(pg, False) >= 1)

                # meanwhile the loop answers what needs no registry
                h = it.expect_status(d.get("/v1/health", token=None, fresh=True), 200)
                assert h.json["status"] == "ok", h
                text = it.expect_status(d.get("/metrics", fresh=True), 200).text
                assert "innet_" in text, text[:300]
                assert waiter.is_alive() and "r" not in got, got  # answered while the lock was held
            finally:
                lock.write("COMMIT;")
                assert lock.close() == 0

            waiter.join(60)
            assert not waiter.is_alive()
            t = it.expect_status(got["r"], 201).json
            assert t["name"] == "patient" and t["token"], t
            names = [x["name"] for x in it.expect_status(d.get("/v1/tenants"), 200).json["tenants"]]
            assert "patient" in names, names
            it.expect_status(d.get("/v1/whoami", token=t["token"]), 200)


def metric(d, name):
    return int(float(it.metrics(d)[name]))


def test_audit_rows_wait_in_a_bounded_queue():
    with pgcluster.Cluster() as pg:
        with it.Daemon(args=["--registry", pg.conninfo]) as d:
            lock = pg.session()
            sent = 5000
            try:
                lock.write("BEGIN;")
                lock.write("LOCK TABLE audit IN ACCESS EXCLUSIVE MODE;")
                it.wait_for("the test's lock on audit", lambda: int(pg.psql(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'audit'::regclass "
                    "AND granted").strip() or 0) >= 1)
                # audited answers (400: no body) while no audit row can be written
                c = d.client(d.token)
                for _ in range(sent):
                    assert c.post("/v1/policies", None).status == 400
                c.close()
                waiting, dropped = metric(d, "innet_audit_queue"), metric(d, "innet_audit_dropped_total")
                print(f"  audit rows waiting {waiting}, dropped {dropped} of {sent}")
                assert waiting == 4096 and dropped == sent - 4096 - 1, (waiting, dropped)
                it.expect_status(d.get("/v1/health", token=None, fresh=True), 200)
            finally:
                lock.write("COMMIT;")
                assert lock.close() == 0
            it.wait_for("the queued rows written", lambda: metric(d, "innet_audit_queue") == 0)
            rows = it.expect_status(d.get("/v1/audit?limit=10000"), 200).json["audit"]
            mine = [r for r in rows if r["path"] == "/v1/policies" and r["status"] == 400]
            assert len(mine) == sent - dropped, (len(mine), sent - dropped)
            assert "audit rows dropped" in d.log(), d.log()[-2000:]


it.main()
