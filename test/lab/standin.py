#!/usr/bin/python3
"""Stand-in for mesos-master or marathon on a lab master: leader election and the HTTP it
answers, nothing else.

Election as the real ones do it: every instance creates an ephemeral sequential znode
(mesos: /mesos/json.info_NNNNNNNNNN holding {"hostname", "address": {"ip", "port"}};
marathon: Curator LeaderLatch nodes under /marathon/leader-curator); the lowest sequence
number leads.

  mesos     GET /redirect, /master/redirect -> 307 Location: //<leader fqdn>:<port>, 503 if no leader
            GET /health -> 200;  GET /state, /master/state -> JSON on the leader, 307 elsewhere
            GET /slaves, /master/slaves -> on the leader {"slaves": [{"id", "hostname", "active"}]}
            from the agents registered under /lab/mesos-agents; 307 elsewhere
  agent     (on a worker) registers an agent: an ephemeral znode /lab/mesos-agents/<id> holding
            {"id", "hostname"}; the id (<uuid>-S0, as Mesos forms them) is kept in the node's
            state dir, so a restart keeps it and a new machine gets a new one. A killed agent's
            znode lingers until its session expires: the lab's stand-in for the master dropping
            an agent after agent_ping_timeout x max_agent_ping_timeouts (15 s x 5 in Mesos; the
            lab's session timeout here). The lab's agents are always "active".
  marathon  GET /v2/leader -> {"leader": "<fqdn>:<port>"}, 404 if no leader
            DELETE /v2/leader -> on the leader: 200, drop the candidacy, exit (the supervisor
            restarts it, younger than every other contender); elsewhere proxied to the leader
            GET /ping -> pong

Fail-fast like Mesos: the process exits when its ZooKeeper session is lost or its own znode
disappears. On SIGTERM mesos-master just dies (its session lingers until ZooKeeper expires it,
which is why a restarted leader keeps leading for up to a session timeout); marathon closes
its latch first, as Curator does on shutdown.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import NoNodeError

KINDS = {
    "mesos": {"path": "/mesos", "prefix": "json.info_"},
    "marathon": {"path": "/marathon/leader-curator", "prefix": "_c_lab-latch-"},
}
AGENTS = "/lab/mesos-agents"


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def die(msg, code=1):
    log(f"exiting: {msg}")
    sys.stdout.flush()
    os._exit(code)  # no ZooKeeper close: like a crashed process, the session lingers


class Candidate:
    def __init__(self, args):
        self.args = args
        self.kind = KINDS[args.kind]
        self.me = None  # our znode name
        self.leader = None  # {"hostname":..., "ip":...} or None
        self.lock = threading.Lock()
        self.zk = KazooClient(hosts=args.zk, timeout=args.session_timeout)
        self.zk.add_listener(self.on_state)

    def on_state(self, state):
        if state == KazooState.LOST:
            die("ZooKeeper session lost")
        if state == KazooState.SUSPENDED:
            log("ZooKeeper connection suspended")

    def contend(self):
        try:
            self.zk.start(timeout=self.args.connect_timeout)
        except Exception as err:  # kazoo raises its own timeout type
            die(f"cannot reach ZooKeeper {self.args.zk} within {self.args.connect_timeout}s: {err}")
        path = self.kind["path"]
        self.zk.ensure_path(path)
        info = {"hostname": self.args.fqdn, "address": {"hostname": self.args.fqdn, "ip": self.args.ip, "port": self.args.port}}
        created = self.zk.create(f"{path}/{self.kind['prefix']}", json.dumps(info).encode(), ephemeral=True, sequence=True)
        self.me = created.rsplit("/", 1)[1]
        log(f"contending as {created}")
        self.zk.ChildrenWatch(path, self.on_children)

    def on_children(self, children):
        prefix = self.kind["prefix"]
        mine = sorted((c for c in children if c.startswith(prefix)), key=lambda c: c[-10:])
        if self.me not in mine:
            die(f"candidacy {self.me} is gone")
        leader = None
        for node in mine:
            try:
                data, _ = self.zk.get(f"{self.kind['path']}/{node}")
                info = json.loads(data)
                leader = {"hostname": info["hostname"], "ip": info["address"]["ip"], "node": node}
                break
            except NoNodeError:
                continue  # expired between the listing and the read: the next one is older
        with self.lock:
            before = self.leader
            self.leader = leader
        if (before or {}).get("node") != (leader or {}).get("node"):
            who = leader["hostname"] if leader else "nobody"
            log(f"leader is {who}{' (me)' if self.leading() else ''}")

    def leading(self):
        with self.lock:
            return self.leader is not None and self.leader["node"] == self.me

    def current(self):
        with self.lock:
            return self.leader

    def abdicate(self):
        """Marathon: drop the latch, then exit for the supervisor to restart us."""
        try:
            self.zk.delete(f"{self.kind['path']}/{self.me}")
            self.zk.stop()
            self.zk.close()
        finally:
            log("abdicated")
            os._exit(0)


def agents(zk):
    """The registered agents, as /master/slaves lists them (the fields the post-steps read)."""
    found = []
    for child in sorted(zk.get_children(AGENTS) if zk.exists(AGENTS) else []):
        try:
            data, _ = zk.get(f"{AGENTS}/{child}")
        except NoNodeError:
            continue
        info = json.loads(data)
        found.append({"id": info["id"], "hostname": info["hostname"], "active": True})
    return found


def run_agent(args):
    """A worker's agent: registers under a stable id, exits when its session is lost."""
    id_file = os.path.join(args.state_dir, "mesos-agent-id")
    if os.path.exists(id_file):
        with open(id_file) as f:
            agent_id = f.read().strip()
    else:
        agent_id = f"{uuid.uuid4()}-S0"
        with open(id_file, "w") as f:
            f.write(agent_id + "\n")
    zk = KazooClient(hosts=args.zk, timeout=args.session_timeout)
    zk.add_listener(lambda state: die("ZooKeeper session lost") if state == KazooState.LOST else None)
    try:
        zk.start(timeout=args.connect_timeout)
    except Exception as err:
        die(f"cannot reach ZooKeeper {args.zk} within {args.connect_timeout}s: {err}")
    zk.ensure_path(AGENTS)
    path = f"{AGENTS}/{agent_id}"
    if zk.exists(path):  # our own, from before a restart: its session has not expired yet
        zk.delete(path)
    zk.create(path, json.dumps({"id": agent_id, "hostname": args.fqdn, "ip": args.ip}).encode(), ephemeral=True)
    log(f"agent {agent_id} registered for {args.fqdn}")
    signal.signal(signal.SIGTERM, lambda *_: die("SIGTERM", 0))
    while True:
        time.sleep(3600)


def handler_for(cand, args):
    port = args.port

    class Handler(BaseHTTPRequestHandler):
        server_version = f"lab-{args.kind}"

        def log_message(self, fmt, *a):
            log(f"http {self.address_string()} {fmt % a}")

        def reply(self, code, body=None, headers=()):
            data = b"" if body is None else (json.dumps(body) + "\n").encode()
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            leader = cand.current()
            path = self.path.split("?", 1)[0]
            if args.kind == "mesos":
                if path in ("/redirect", "/master/redirect"):
                    if leader is None:
                        return self.reply(503)
                    return self.reply(307, headers=[("Location", f"//{leader['hostname']}:{port}")])
                if path in ("/health", "/master/health"):
                    return self.reply(200)
                if path in ("/state", "/master/state", "/state.json", "/master/state.json"):
                    if leader is None:
                        return self.reply(503)
                    if not cand.leading():
                        return self.reply(307, headers=[("Location", f"//{leader['hostname']}:{port}{path}")])
                    return self.reply(200, {"hostname": args.fqdn, "leader": f"master@{leader['ip']}:{port}",
                                            "leader_info": {"hostname": leader["hostname"], "port": port}})
                if path in ("/slaves", "/master/slaves"):
                    if leader is None:
                        return self.reply(503)
                    if not cand.leading():
                        return self.reply(307, headers=[("Location", f"//{leader['hostname']}:{port}{path}")])
                    return self.reply(200, {"slaves": agents(cand.zk)})
            else:
                if path == "/v2/leader":
                    if leader is None:
                        return self.reply(404, {"message": "There is no leader"})
                    return self.reply(200, {"leader": f"{leader['hostname']}:{port}"})
                if path == "/ping":
                    data = b"pong\n"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    return self.wfile.write(data)
            return self.reply(404, {"message": f"{path} is not served by the lab stand-in"})

        def do_DELETE(self):
            path = self.path.split("?", 1)[0]
            if args.kind != "marathon" or path != "/v2/leader":
                return self.reply(404, {"message": f"{path} is not served by the lab stand-in"})
            leader = cand.current()
            if leader is None:
                return self.reply(404, {"message": "There is no leader"})
            if cand.leading():
                self.reply(200, {"message": "Leadership abdicated"})
                self.wfile.flush()
                threading.Thread(target=lambda: (time.sleep(0.2), cand.abdicate()), daemon=True).start()
                return None
            # A non-leading Marathon proxies to the leader.
            try:
                conn = http.client.HTTPConnection(leader["ip"], port, timeout=5)
                conn.request("DELETE", self.path)
                resp = conn.getresponse()
                body = resp.read()
                self.send_response(resp.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError as err:
                self.reply(502, {"message": f"proxy to leader {leader['hostname']} failed: {err}"})
            return None

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", choices=sorted([*KINDS, "agent"]), required=True)
    p.add_argument("--zk", required=True, help="host:port,host:port,...")
    p.add_argument("--fqdn", required=True)
    p.add_argument("--ip", required=True)
    p.add_argument("--port", type=int, default=0, help="the HTTP port (the lab passes the catalog's)")
    p.add_argument("--state-dir", default="/run/lab-node", help="agent: where its id is kept")
    p.add_argument("--session-timeout", type=float, default=10.0, help="seconds (Mesos/Marathon default: 10)")
    p.add_argument("--connect-timeout", type=float, default=15.0)
    args = p.parse_args()
    if args.kind == "agent":
        return run_agent(args)
    cand = Candidate(args)

    if args.kind == "mesos":
        signal.signal(signal.SIGTERM, lambda *_: die("SIGTERM", 0))
    else:
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=cand.abdicate).start())

    server = ThreadingHTTPServer(("", args.port), handler_for(cand, args))
    server.daemon_threads = True
    cand.contend()
    log(f"{args.kind} stand-in for {args.fqdn} serving on *:{args.port}")
    server.serve_forever()


if __name__ == "__main__":
    main()
