#!/usr/bin/python3
"""The lab's per-node init: a tiny stand-in for systemd, one per lab node.

It runs inside the node's network, mount and UTS namespaces, reads the unit table the lab
wrote to STATE_DIR/units.json and keeps every wanted unit running (Restart=always with a
RestartSec, as the cloud-config's units do). The `systemctl` shim talks to it over
STATE_DIR/supervisor.sock, one request per connection:

    request:  "<verb> <unit>\n"        verbs: start stop restart is-active show
    response: "<exit code>\n<text>"

Only Debian's python3 standard library; no threads beyond one per request.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

STATE_DIR = sys.argv[1] if len(sys.argv) > 1 else "/run/lab-node"
STOP_TIMEOUT = 5.0  # TimeoutStopSec: SIGTERM, then SIGKILL


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} supervisor[{socket.gethostname()}]: {msg}", flush=True)


def bare(name):
    return name[:-len(".service")] if name.endswith(".service") else name


class Unit:
    def __init__(self, name, spec):
        self.name = name
        self.argv = spec["argv"]
        self.env = spec.get("env", {})
        self.restart_sec = float(spec.get("restartSec", 2))
        self.wanted = bool(spec.get("autostart", True))
        self.proc = None
        self.next_start = 0.0
        self.restarts = 0
        self.started_at = None
        self.log_path = os.path.join(STATE_DIR, "log", f"{name}.log")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def spawn(self):
        out = open(self.log_path, "ab", buffering=0)
        out.write(f"---- {time.strftime('%H:%M:%S')} start {' '.join(self.argv)}\n".encode())
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                     env=env, start_new_session=True, cwd="/")
        out.close()
        self.started_at = time.time()
        log(f"{self.name} started, pid {self.proc.pid}")

    def terminate(self):
        """Stops the process group: SIGTERM, then SIGKILL after STOP_TIMEOUT. Returns when gone."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored SIGTERM for {STOP_TIMEOUT}s: SIGKILL")
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=STOP_TIMEOUT)
        # Leftovers of the group (a shell's children) go too.
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log(f"{self.name} stopped (exit {self.proc.returncode})")
        self.proc = None

    def show(self):
        alive = self.alive()
        if alive:
            active, sub = "active", "running"
        elif self.wanted:
            active, sub = "activating", "auto-restart"
        else:
            active, sub = "inactive", "dead"
        return {
            "Id": f"{self.name}.service",
            "LoadState": "loaded",
            "ActiveState": active,
            "SubState": sub,
            "MainPID": str(self.proc.pid if alive else 0),
            "NRestarts": str(self.restarts),
            "ExecMainStartTimestampMonotonic": str(int((self.started_at or 0) * 1e6)),
        }


class Supervisor:
    def __init__(self):
        with open(os.path.join(STATE_DIR, "units.json")) as f:
            specs = json.load(f)
        os.makedirs(os.path.join(STATE_DIR, "log"), exist_ok=True)
        # The lab names units as the catalog does (zookeeper.service); kept without the suffix.
        self.units = {bare(name): Unit(bare(name), spec) for name, spec in specs.items()}
        self.lock = threading.RLock()
        self.stopping = False

    def unit(self, name):
        return self.units.get(bare(name))

    def tick(self):
        now = time.time()
        with self.lock:
            for u in self.units.values():
                if u.proc is not None and u.proc.poll() is not None:
                    log(f"{u.name} exited with {u.proc.returncode}")
                    u.proc = None
                    u.restarts += 1
                    u.next_start = now + u.restart_sec
                if u.wanted and u.proc is None and now >= u.next_start:
                    u.spawn()

    def handle(self, verb, name):
        u = self.unit(name)
        if u is None:
            return 5, f"Unit {name}.service not found.\n"
        with self.lock:
            if verb == "start":
                u.wanted = True
                if not u.alive():
                    u.spawn()
                return 0, ""
            if verb == "stop":
                u.wanted = False
                u.terminate()
                return 0, ""
            if verb == "restart":
                u.wanted = True
                u.terminate()
                u.spawn()
                return 0, ""
            if verb == "is-active":
                state = u.show()["ActiveState"]
                return (0 if state == "active" else 3), state + "\n"
            if verb == "show":
                return 0, "".join(f"{k}={v}\n" for k, v in u.show().items())
        return 1, f"unknown verb {verb}\n"

    def serve(self):
        path = os.path.join(STATE_DIR, "supervisor.sock")
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(16)
        srv.settimeout(0.2)
        log(f"up, units: {', '.join(self.units)}")
        while not self.stopping:
            self.tick()
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.client, args=(conn,), daemon=True).start()
        with self.lock:
            for u in self.units.values():
                u.wanted = False
                u.terminate()

    def client(self, conn):
        try:
            conn.settimeout(30)
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(1024)
                if not chunk:
                    break
                data += chunk
            parts = data.decode().split()
            code, text = self.handle(*parts) if len(parts) == 2 else (1, "bad request\n")
            conn.sendall(f"{code}\n{text}".encode())
        except Exception as err:  # a broken client must never take the supervisor down
            log(f"request failed: {err}")
        finally:
            conn.close()


def main():
    sup = Supervisor()

    def stop(signum, _frame):
        sup.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sup.serve()


if __name__ == "__main__":
    main()
