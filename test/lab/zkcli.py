#!/usr/bin/python3
"""The lab's ZooKeeper client (Debian's python3-kazoo), run inside a master's namespace.

  zkcli.py --zk HOSTS put PATH DATA...     create PATH-1.. with the given data (parents too)
  zkcli.py --zk HOSTS check PATH DATA...   every PATH-i exists and holds DATA i
  zkcli.py --zk HOSTS contenders           the /mesos and /marathon election znodes, oldest first
  zkcli.py --zk HOSTS [--digest USER:PASS] probe PATH
                                           what this client may do at PATH (issue 12): its ACL,
                                           list its children, create a child (removed again);
                                           JSON {"acl": [...] | "<error>", "children": "ok" | "<error>",
                                           "create": "ok" | "<error>"}
"""
import argparse
import json
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NoNodeError


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--zk", required=True)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--digest", help="user:password: authenticate with ZooKeeper's digest scheme")
    p.add_argument("verb", choices=["put", "check", "contenders", "probe"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    zk = KazooClient(hosts=a.zk, timeout=a.timeout, auth_data=[("digest", a.digest)] if a.digest else None)
    try:
        zk.start(timeout=a.timeout)
    except Exception as err:
        print(f"zkcli: cannot reach ZooKeeper {a.zk}: {err}", file=sys.stderr)
        return 1
    try:
        if a.verb == "put":
            base, values = a.args[0], a.args[1:]
            for i, value in enumerate(values, 1):
                zk.create(f"{base}-{i}", value.encode(), makepath=True)
            print(f"created {len(values)} znodes {base}-1..{len(values)}")
            return 0
        if a.verb == "check":
            base, values = a.args[0], a.args[1:]
            bad = []
            for i, value in enumerate(values, 1):
                try:
                    data, _ = zk.get(f"{base}-{i}")
                    if data.decode() != value:
                        bad.append(f"{base}-{i} holds {data.decode()!r}, not {value!r}")
                except NoNodeError:
                    bad.append(f"{base}-{i} is missing")
            print("; ".join(bad) if bad else f"all {len(values)} znodes {base}-1..{len(values)} intact")
            return 1 if bad else 0
        if a.verb == "probe":
            path = a.args[0]
            result = {}

            def attempt(what, fn):
                try:
                    result[what] = fn()
                except KazooException as err:
                    result[what] = type(err).__name__

            def acl():
                acls, _ = zk.get_acls(path)
                return sorted(f"{x.id.scheme}:{x.id.id}:{x.perms}" for x in acls)
            attempt("acl", acl)
            attempt("children", lambda: (zk.get_children(path), "ok")[1])

            def create():
                made = zk.create(f"{path}/lab-acl-probe-", b"", ephemeral=True, sequence=True)
                zk.delete(made)
                return "ok"
            attempt("create", create)
            print(json.dumps(result))
            return 0
        out = {}
        for path, prefix in (("/mesos", "json.info_"), ("/marathon/leader-curator", "")):
            try:
                kids = sorted((c for c in zk.get_children(path) if c.startswith(prefix)), key=lambda c: c[-10:])
            except NoNodeError:
                kids = []
            out[path] = [json.loads(zk.get(f"{path}/{k}")[0])["hostname"] for k in kids]
        print(json.dumps(out))
        return 0
    finally:
        zk.stop()
        zk.close()


sys.exit(main())
