"""A throwaway PostgreSQL cluster for tests (Debian's `postgresql` package).

From Python:

    import pgcluster
    with pgcluster.Cluster() as pg:          # it.Skip when the binaries are absent
        conninfo = pg.conninfo               # postgresql://innet:PW@127.0.0.1:PORT/innet

From a shell (or a C test's wrapper):

    python3 test/lib/pgcluster.py start DIR  # prints the conninfo
    python3 test/lib/pgcluster.py stop DIR   # stops it and removes DIR

initdb runs into DIR/data as an unprivileged user: the one running the test,
or, when that is root (CI), Debian's `postgres` user (else `nobody`) through
`runuser -u USER --`. The server listens on a free TCP port of 127.0.0.1
(password authentication, scram-sha-256) and on a unix socket in DIR; fsync
is off (a test's data is thrown away). One database, `innet`, owned by the
superuser `innet`. stop() always removes DIR, also after a failed start.
"""

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

PG_BIN = os.environ.get("INNET_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = "innet"
DBNAME = "innet"


def available():
    return all(os.access(os.path.join(PG_BIN, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres"))


def built_with_postgresql(build_dir=None):
    """Was the build under test configured with libpq (meson option
    postgresql)? Without it innetd refuses PostgreSQL, as it should."""
    build_dir = build_dir or os.environ.get("INNET_BUILD_DIR", "")
    try:
        with open(os.path.join(build_dir, "innet_build.h")) as f:
            return "#define INNET_HAVE_POSTGRESQL 1" in f.read()
    except OSError:
        return True  # not a meson build dir: let the test find out


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as():
    """The unprivileged user the server runs as (None: the current one)."""
    if os.getuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


class Cluster:
    def __init__(self, dir=None, settings=None):
        """settings: server settings (-c NAME=VALUE) over the fast defaults,
        e.g. {"synchronous_commit": "on"} for a test about durability."""
        self.dir = dir
        self.port = None
        self.password = None
        self.user = _run_as()
        self.settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                         "max_connections": "100"}
        self.settings.update(settings or {})

    # --- paths and commands ------------------------------------------------
    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def logfile(self):
        return os.path.join(self.dir, "server.log")

    def _cmd(self, argv, **kw):
        if self.user is not None:
            argv = ["runuser", "-u", self.user.pw_name, "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw)

    @property
    def conninfo(self):
        """A URI with the password, as an operator would write it."""
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{DBNAME}"

    def keywords(self):
        """The same database as a libpq keyword/value string."""
        return (f"host=127.0.0.1 port={self.port} dbname={DBNAME} user={USER} "
                f"password={self.password}")

    # --- life ----------------------------------------------------------------
    def start(self):
        if not available():
            raise RuntimeError(f"no PostgreSQL server binaries in {PG_BIN} (Debian: postgresql)")
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="innet-pg-")
        else:
            os.makedirs(self.dir, exist_ok=True)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _own_dir(self):
        """DIR belongs to the server's user, and only to it (initdb and
        pg_basebackup insist)."""
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.dir, 0o700)

    def _serve(self):
        """Start the server on DIR/data on a free port of 127.0.0.1."""
        self.port = _free_port()
        self.opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} " + " ".join(
            f"-c {k}={v}" for k, v in self.settings.items())
        try:
            self.resume()
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"pg_ctl start failed: {e.stdout}\n{self.log()}") from None

    def _start(self):
        self._own_dir()
        self.password = secrets.token_hex(12)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self._cmd([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", USER, "--pwfile", pwfile,
                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        os.unlink(pwfile)
        self._serve()
        self._cmd([os.path.join(PG_BIN, "createdb"), "-h", self.dir, "-p", str(self.port),
                   "-U", USER, DBNAME])
        with open(os.path.join(self.dir, "conninfo"), "w") as f:
            f.write(self.conninfo + "\n")

    def psql(self, sql):
        """Run SQL as the superuser over the unix socket; its output."""
        return self._cmd([os.path.join(PG_BIN, "psql"), "-h", self.dir, "-p", str(self.port),
                          "-U", USER, "-d", DBNAME, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                          "-c", sql]).stdout

    def session(self):
        """A psql connection of the test's own, fed line by line on stdin
        (e.g. a transaction holding a lock): write(sql), then close()."""
        argv = [os.path.join(PG_BIN, "psql"), "-h", self.dir, "-p", str(self.port), "-U", USER,
                "-d", DBNAME, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        if self.user is not None:
            argv = ["runuser", "-u", self.user.pw_name, "--"] + argv
        return Session(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True))

    def halt(self):
        """Stop the server at once, as when it crashes: every connection
        drops; the data stays for resume()."""
        self._cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])

    def resume(self):
        """Start a halted server again on the same port with the same data."""
        self._cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.logfile,
                   "-w", "-t", "60", "-o", self.opts, "start"])

    def restart(self):
        self.halt()
        self.resume()

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.dir is None:
            return
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self._cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate",
                           "-w", "stop"])
            except subprocess.CalledProcessError as e:
                print(f"pgcluster: pg_ctl stop: {e.stdout}", file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        if not available() or not built_with_postgresql():
            import innet_test as it
            raise it.Skip(f"no PostgreSQL server binaries in {PG_BIN}" if not available()
                          else "built without PostgreSQL (-Dpostgresql=disabled)")
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Session:
    def __init__(self, proc):
        self.proc = proc

    def write(self, sql):
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()

    def close(self, timeout=30):
        """End the session (its open transaction, if any, is rolled back
        unless COMMIT was written); psql's exit status."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        return self.proc.wait(timeout)


class Standby(Cluster):
    """A streaming standby of a running primary (pg_basebackup -R), in a
    folder of its own, on its own port; promote() makes it the primary."""

    def __init__(self, primary, settings=None):
        super().__init__(settings=settings)
        self.primary = primary
        self.password = primary.password

    def _start(self):
        self._own_dir()
        p = self.primary
        self._cmd([os.path.join(PG_BIN, "pg_basebackup"), "-h", p.dir, "-p", str(p.port), "-U", USER,
                   "-D", self.data, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"])
        self._serve()

    def promote(self):
        self._cmd([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w", "promote"])


def _cli(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: pgcluster.py start|stop DIR", file=sys.stderr)
        return 2
    c = Cluster(argv[2])
    if argv[1] == "start":
        if not available():
            print(f"pgcluster: no PostgreSQL server binaries in {PG_BIN}", file=sys.stderr)
            return 77
        c.start()
        print(c.conninfo)
        return 0
    # stop: the user and port come from the running cluster's files
    c.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv))
