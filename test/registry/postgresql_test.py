"""The registry's unit test (test/registry/registry_test.c) again, on a real
PostgreSQL server started for it (test/lib/pgcluster.py): the same binary,
given the connection string in INNET_TEST_PG. Exits 77 (skipped) only when
Debian's postgresql server binaries are absent."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["INNET_SOURCE_DIR"], "test", "lib"))
import pgcluster  # noqa: E402


def main():
    if not pgcluster.available():
        print(f"SKIP: no PostgreSQL server binaries in {pgcluster.PG_BIN}", flush=True)
        return 77
    if not pgcluster.built_with_postgresql():
        print("SKIP: built without PostgreSQL (-Dpostgresql=disabled)", flush=True)
        return 77
    exe = os.path.join(os.environ["INNET_BUILD_DIR"], "test", "unit-registry")
    with pgcluster.Cluster() as pg:
        env = dict(os.environ, INNET_TEST_PG=pg.conninfo)
        rc = subprocess.run([exe], env=env).returncode
        if rc:
            print(pg.log()[-4000:], file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main())
