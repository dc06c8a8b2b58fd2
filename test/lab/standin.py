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
            from the agents registered under /mesos/lab-agents; 307 elsewhere
            GET /frameworks, /master/frameworks -> on the leader {"frameworks": [{"name", "hostname",
            "principal"}]} from /mesos/lab-frameworks; 307 elsewhere
  agent     (on a worker) registers an agent: an ephemeral znode /mesos/lab-agents/<id> holding
            {"id", "hostname", "principal", "proof"}; the id (<uuid>-S0, as Mesos forms them) is kept in the node's
            state dir, so a restart keeps it and a new machine gets a new one. A killed agent's
            znode lingers until its session expires: the lab's stand-in for the master dropping
            an agent after agent_ping_timeout x max_agent_ping_timeouts (15 s x 5 in Mesos; the
            lab's session timeout here). The lab's agents are always "active".
  marathon  GET /v2/leader -> {"leader": "<fqdn>:<port>"}, 404 if no leader
            DELETE /v2/leader -> on the leader: 200, drop the candidacy, exit (the supervisor
            restarts it, younger than every other contender); elsewhere proxied to the leader
            GET /ping -> pong

Authentication (issue 12), as the units configure the real ones (the lab passes the units' own
flags and files; see services.ts):
  ZooKeeper   --zk takes host:port,..., zk://[user:pass@]hosts/path or file:///path holding one
              (Mesos' --zk=file://, --master=file://); marathon reads MARATHON_ZK and
              MARATHON_MASTER from --env-file as docker run --env-file does. With digest
              credentials, znodes get the ACL the real one sets: Mesos EVERYONE_READ_CREATOR_ALL
              (world:anyone READ, the creator ALL: src/zookeeper/group.cpp, 1.7.0), Marathon
              CREATOR_ALL_ACL (ZookeeperConf.zkDefaultCreationACL, releases/1.11).
  mesos HTTP  with --authenticate-http-readwrite, the read-write endpoints (/api/v1, /teardown,
              /reserve, /quota, /weights, /maintenance/*, /machine/*...) answer 401 without a
              principal:secret of --credentials (basic); read-only ones only with
              --authenticate-http-readonly; /redirect and /health never ask (master.cpp routes).
  marathon    MARATHON_HTTP_CREDENTIALS (user:password, the pattern (.+):(.+)) guards every path
              with basic auth, 401 otherwise (Marathon's security handler on "/*").
  agents      register with a proof of their --credential (HMAC of the id with the secret); with
              --authenticate-agents the leading master lists only agents whose proof matches
              --credentials: an agent with the wrong secret is never registered.
  frameworks  the leading Marathon registers as framework `marathon` with a proof of its
              principal's secret (--principal, --secret-file), through MARATHON_MASTER; the
              leading master lists it under GET /master/frameworks with its principal, if the
              proof matches --credentials (--authenticate-frameworks), else not at all.

Fail-fast like Mesos: the process exits when its ZooKeeper session is lost or its own znode
disappears. On SIGTERM mesos-master just dies (its session lingers until ZooKeeper expires it,
which is why a restarted leader keeps leading for up to a session timeout); marathon closes
its latch first, as Curator does on shutdown.
"""
import argparse
import base64
import re
import hashlib
import hmac
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
from kazoo.security import CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, ACL, Id, Permissions

KINDS = {
    "mesos": {"path": "/mesos", "prefix": "json.info_"},
    "marathon": {"path": "/marathon/leader-curator", "prefix": "_c_lab-latch-"},
}
# The lab's registries of agents and frameworks, inside Mesos' own tree (Mesos' digest user and
# ACL): real agents and frameworks register over libprocess, not ZooKeeper.
AGENTS = "lab-agents"
FRAMEWORKS = "lab-frameworks"
# Mesos with digest credentials: world:anyone READ, auth (the creator) ALL.
EVERYONE_READ_CREATOR_ALL = [ACL(Permissions.READ, Id("world", "anyone")), ACL(Permissions.ALL, Id("auth", ""))]
READWRITE = {"api/v1", "teardown", "reserve", "unreserve", "quota", "weights", "create-volumes", "destroy-volumes",
             "maintenance/schedule", "machine/down", "machine/up"}
UNAUTHENTICATED = {"redirect", "health"}


def read_value(value):
    """A flag value as stout reads it: file:///path means the file's content."""
    if value.startswith("file://"):
        with open(value[len("file://"):]) as f:
            return f.read()
    return value


def parse_zk(value):
    """host:port,... or zk://[user:pass@]hosts[/path] (or file:// holding one) -> (hosts, "user:pass" or None, path or None)."""
    value = read_value(value).strip()
    if not value.startswith("zk://"):
        return value, None, None
    rest = value[len("zk://"):]
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else None
    rest = rest[:slash] if slash >= 0 else rest
    at = rest.rfind("@")
    return (rest[at + 1:], rest[:at], path) if at >= 0 else (rest, None, path)


def close_quietly(client):
    try:
        client.stop()
        client.close()
    except Exception:  # already stopped, or the connection is gone: nothing left to release
        pass


def zk_client(value, session_timeout, acl_with_auth):
    """A KazooClient for a zk URL: digest auth and the ACL the real service sets when the URL has credentials."""
    hosts, auth, path = parse_zk(value)
    if auth:
        return KazooClient(hosts=hosts, timeout=session_timeout, auth_data=[("digest", auth)], default_acl=acl_with_auth), path
    return KazooClient(hosts=hosts, timeout=session_timeout, default_acl=OPEN_ACL_UNSAFE), path


def read_env_file(path):
    """KEY=value lines as docker run --env-file reads them (no quoting; # comments, blank lines)."""
    env = {}
    with open(path) as f:
        for line in f.read().splitlines():
            if line.strip() and not line.lstrip().startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
    return env


def proof(secret, subject):
    return hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()


def load_credentials(value):
    """Mesos' --credentials JSON: {"credentials": [{"principal", "secret"}]} -> {principal: secret}."""
    data = json.loads(read_value(value))
    return {c["principal"]: c["secret"] for c in data["credentials"]}


def basic_principal(header, accept):
    """The user of a valid `Authorization: Basic` header, or None; `accept(user, password)` judges it."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[len("Basic "):]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user if accept(user, password) else None


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def die(msg, code=1):
    log(f"exiting: {msg}")
    sys.stdout.flush()
    os._exit(code)  # no ZooKeeper close: like a crashed process, the session lingers


class Candidate:
    def __init__(self, args):
        self.args = args
        self.kind = dict(KINDS[args.kind])
        self.me = None  # our znode name
        self.leader = None  # {"hostname":..., "ip":...} or None
        self.lock = threading.Lock()
        self.framework = None  # marathon: the client through which it registered with Mesos
        self.registering = False  # marathon: a registration thread is running
        acl = EVERYONE_READ_CREATOR_ALL if args.kind == "mesos" else CREATOR_ALL_ACL
        self.zk, path = zk_client(args.zk, args.session_timeout, acl)
        if path:
            self.kind["path"] = path if args.kind == "mesos" else f"{path}/leader-curator"
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
        if self.args.kind != "marathon" or not self.args.master:
            return
        if self.leading():
            with self.lock:
                start = self.framework is None and not self.registering
                self.registering = self.registering or start
            if start:
                threading.Thread(target=self.register_framework, daemon=True).start()
        else:
            self.drop_framework()

    def register_framework(self):
        """The leading Marathon registers with Mesos (MARATHON_MASTER), proving its principal's secret.

        Retried while this one leads: a dead leader's registration lingers until its ZooKeeper
        session expires, and a single failed attempt left the cluster without a framework."""
        try:
            while self.leading():
                client, base = zk_client(self.args.master, self.args.session_timeout, EVERYONE_READ_CREATOR_ALL)
                where = f"{base or '/mesos'}/{FRAMEWORKS}"
                try:
                    client.start(timeout=self.args.connect_timeout)
                    client.ensure_path(where)
                    info = {"name": "marathon", "hostname": self.args.fqdn}
                    if self.args.principal:
                        info["principal"] = self.args.principal
                        info["proof"] = proof(self.args.secret, self.args.fqdn)
                    client.create(f"{where}/marathon", json.dumps(info).encode(), ephemeral=True)
                except Exception as err:  # another leader's registration lingering, or ZooKeeper refused
                    log(f"framework registration failed, retrying in 1 s: {err!r}")
                    close_quietly(client)
                    time.sleep(1)
                    continue
                with self.lock:
                    self.framework = client
                log(f"registered with Mesos as framework marathon (principal {self.args.principal or 'none'})")
                if not self.leading():  # lost the lead while registering
                    self.drop_framework()
                return
        finally:
            with self.lock:
                self.registering = False

    def drop_framework(self):
        """A Marathon that no longer leads stops its scheduler driver: its registration goes."""
        with self.lock:
            client, self.framework = self.framework, None
        if client is not None:
            close_quietly(client)
            log("no longer leading: framework registration dropped")

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


def verified(info, subject, credentials, required):
    """Whether a registration's proof matches --credentials (always true when not required)."""
    secret = credentials.get(info.get("principal", ""))
    ok = secret is not None and hmac.compare_digest(info.get("proof", ""), proof(secret, subject))
    return ok or not required


def registrations(zk, where):
    """The JSON of every child of `where`, in name order (one that vanishes meanwhile is skipped)."""
    for child in sorted(zk.get_children(where) if zk.exists(where) else []):
        try:
            data, _ = zk.get(f"{where}/{child}")
        except NoNodeError:
            continue
        yield json.loads(data)


def agents(zk, args, base):
    """The registered agents, as /master/slaves lists them (the fields the post-steps read);
    with --authenticate-agents only those whose proof matches a credential (the others were refused)."""
    return [
        {"id": info["id"], "hostname": info["hostname"], "active": True}
        for info in registrations(zk, f"{base}/{AGENTS}")
        if verified(info, info["id"], args.credential_map, args.authenticate_agents)
    ]


def frameworks(zk, args, base):
    """The registered frameworks, as /master/frameworks lists them (name, hostname, principal)."""
    return [
        {"name": info["name"], "hostname": info["hostname"], "principal": info.get("principal")}
        for info in registrations(zk, f"{base}/{FRAMEWORKS}")
        if verified(info, info["hostname"], args.credential_map, args.authenticate_frameworks)
    ]


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
    zk, base = zk_client(args.zk, args.session_timeout, EVERYONE_READ_CREATOR_ALL)
    where = f"{base or '/mesos'}/{AGENTS}"
    zk.add_listener(lambda state: die("ZooKeeper session lost") if state == KazooState.LOST else None)
    registration = {"id": agent_id, "hostname": args.fqdn, "ip": args.ip}
    if args.credential:
        credential = json.loads(read_value(args.credential))
        registration.update(principal=credential["principal"], proof=proof(credential["secret"], agent_id))
    try:
        zk.start(timeout=args.connect_timeout)
    except Exception as err:
        die(f"cannot reach ZooKeeper {args.zk} within {args.connect_timeout}s: {err}")
    zk.ensure_path(where)
    path = f"{where}/{agent_id}"
    if zk.exists(path):  # our own, from before a restart: its session has not expired yet
        zk.delete(path)
    zk.create(path, json.dumps(registration).encode(), ephemeral=True)
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

        def refused(self, path):
            """Replies 401 and returns True when this request needs credentials it does not carry."""
            if args.kind == "marathon":
                if args.http_user is None:
                    return False
                who = basic_principal(self.headers.get("Authorization"), lambda u, p: (u, p) == (args.http_user, args.http_password))
                realm = "Mesosphere"
            else:
                endpoint = path.lstrip("/")
                endpoint = endpoint[len("master/"):] if endpoint.startswith("master/") else endpoint
                if endpoint in UNAUTHENTICATED:
                    return False
                needed = args.authenticate_http_readwrite if endpoint in READWRITE else args.authenticate_http_readonly
                if not needed:
                    return False
                who = basic_principal(self.headers.get("Authorization"), lambda u, p: args.credential_map.get(u) == p)
                realm = "mesos"
            if who is not None:
                return False
            self.reply(401, headers=[("WWW-Authenticate", f'Basic realm="{realm}"')])
            return True

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            if self.refused(path):
                return None
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if args.kind == "mesos" and path.lstrip("/").removeprefix("master/") in READWRITE:
                return self.reply(400, {"message": "authenticated; the lab stand-in carries out no read-write call"})
            return self.reply(404, {"message": f"{path} is not served by the lab stand-in"})

        def do_GET(self):
            leader = cand.current()
            path = self.path.split("?", 1)[0]
            if self.refused(path):
                return None
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
                    return self.reply(200, {"slaves": agents(cand.zk, args, cand.kind["path"])})
                if path in ("/frameworks", "/master/frameworks"):
                    if leader is None:
                        return self.reply(503)
                    if not cand.leading():
                        return self.reply(307, headers=[("Location", f"//{leader['hostname']}:{port}{path}")])
                    return self.reply(200, {"frameworks": frameworks(cand.zk, args, cand.kind["path"])})
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
            if self.refused(path):
                return None
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
                # Marathon's leader proxy forwards the request's headers, credentials included.
                conn.request("DELETE", self.path, headers={k: v for k, v in self.headers.items() if k.lower() == "authorization"})
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
    p.add_argument("--zk", help="host:port,..., zk://[user:pass@]hosts/path or file:///path (marathon: from --env-file)")
    p.add_argument("--credentials", help="mesos: --credentials (file:// JSON); its principals authenticate agents, frameworks and HTTP")
    p.add_argument("--authenticate-agents", action="store_true")
    p.add_argument("--authenticate-frameworks", action="store_true")
    p.add_argument("--authenticate-http-readwrite", action="store_true")
    p.add_argument("--authenticate-http-readonly", action="store_true")
    p.add_argument("--credential", help="agent: --credential (file:// JSON {principal, secret})")
    p.add_argument("--env-file", help="marathon: MARATHON_ZK, MARATHON_MASTER, MARATHON_HTTP_CREDENTIALS")
    p.add_argument("--principal", help="marathon: --mesos_authentication_principal")
    p.add_argument("--secret-file", help="marathon: --mesos_authentication_secret_file (read whole)")
    p.add_argument("--fqdn", required=True)
    p.add_argument("--ip", required=True)
    p.add_argument("--port", type=int, default=0, help="the HTTP port (the lab passes the catalog's)")
    p.add_argument("--state-dir", default="/run/lab-node", help="agent: where its id is kept")
    p.add_argument("--session-timeout", type=float, default=10.0, help="seconds (Mesos/Marathon default: 10)")
    p.add_argument("--connect-timeout", type=float, default=15.0)
    args = p.parse_args()
    args.credential_map = load_credentials(args.credentials) if args.credentials else {}
    args.master = None
    args.http_user = args.http_password = None
    args.secret = None
    if args.kind == "marathon" and args.env_file:
        env = read_env_file(args.env_file)
        args.zk = env.get("MARATHON_ZK", args.zk)
        args.master = env.get("MARATHON_MASTER")
        match = re.fullmatch(r"(.+):(.+)", env.get("MARATHON_HTTP_CREDENTIALS", ""))
        if match:
            args.http_user, args.http_password = match.group(1), match.group(2)
    if args.secret_file:
        with open(args.secret_file) as f:
            args.secret = f.read()
    if not args.zk:
        p.error("--zk (or MARATHON_ZK in --env-file) is required")
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
