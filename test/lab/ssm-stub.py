#!/usr/bin/python3
# The lab's stand-in for SSM Parameter Store: the JSON protocol boto3 speaks (AmazonSSM.
# GetParametersByPath, GetParameter, GetParameters), serving the parameters the program's
# evaluation registered, and answering as IAM would for the caller's role: each access key id
# is one role's instance profile, and a request is allowed only when that role's policy (the
# plan's own aws.iam.RolePolicy document) allows the action on the parameter's ARN and, for a
# SecureString decrypted, kms:Decrypt with kms:ViaService ssm.<region>.amazonaws.com and the
# parameter's ARN as encryption context. The signature itself is not checked (SigV4 is AWS's).
# The data file is read again at every request: the lab rewrites it when a node is replaced.
#   ssm-stub.py --listen IP:PORT --data FILE
import argparse, fnmatch, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def load():
    with open(ARGS.data) as f:
        return json.load(f)


def allows(statements, action, resource, context=None):
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        ok = True
        for op, conds in (s.get("Condition") or {}).items():
            for key, want in conds.items():
                have = (context or {}).get(key)
                wants = want if isinstance(want, list) else [want]
                if have is None:
                    ok = False
                elif op == "StringEquals":
                    ok = ok and have in wants
                elif op == "StringLike":
                    ok = ok and any(fnmatch.fnmatchcase(have, w) for w in wants)
                else:
                    ok = False  # an operator this stand-in does not know: deny, never allow
        if ok:
            return True
    return False


class Denied(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        target = self.headers.get("X-Amz-Target", "")
        auth = self.headers.get("Authorization", "")
        akid = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        data = load()
        principal = data["principals"].get(akid)
        action = "ssm:" + target.split(".", 1)[-1]
        what = body.get("Path") or body.get("Name") or ",".join(body.get("Names", []))
        if principal is None:
            log(f"DENY {akid or '(unsigned)'} {action} {what}: unknown access key")
            return self.answer(400, {"__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid."})
        role, statements = principal["role"], principal["statements"]
        arn = lambda name: f"arn:aws:ssm:{data['region']}:{data['account']}:parameter{name}"
        params = data["parameters"]

        def reveal(name, decrypt):
            p = params[name]
            if p["Type"] == "SecureString" and decrypt:
                ctx = {"kms:ViaService": f"ssm.{data['region']}.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN": arn(name)}
                if not allows(statements, "kms:Decrypt", f"arn:aws:kms:{data['region']}:{data['account']}:key/aws-ssm", ctx):
                    raise Denied(f"kms:Decrypt of {name}")
                value = p["Value"]
            elif p["Type"] == "SecureString":
                value = "(encrypted)"
            else:
                value = p["Value"]
            return {"Name": name, "Type": p["Type"], "Value": value, "Version": p.get("Version", 1), "ARN": arn(name),
                    "DataType": "text", "LastModifiedDate": p.get("Modified", time.time())}

        try:
            if target == "AmazonSSM.GetParametersByPath":
                path = body["Path"].rstrip("/")
                if not allows(statements, action, arn(path)):
                    raise Denied(f"{action} on {arn(path)}")
                names = sorted(n for n in params if n.startswith(path + "/") and ("/" not in n[len(path) + 1:] or body.get("Recursive")))
                names = [n for n in names if allows(statements, action, arn(n))]
                start = int(body.get("NextToken") or 0)
                page = names[start:start + int(body.get("MaxResults") or 10)]
                out = {"Parameters": [reveal(n, body.get("WithDecryption")) for n in page]}
                if start + len(page) < len(names):
                    out["NextToken"] = str(start + len(page))
                log(f"ALLOW {role} {action} {path}: {len(page)} parameters")
                return self.answer(200, out)
            if target == "AmazonSSM.GetParameter":
                name = body["Name"]
                if not allows(statements, action, arn(name)):
                    raise Denied(f"{action} on {arn(name)}")
                if name not in params:
                    return self.answer(400, {"__type": "ParameterNotFound", "message": name})
                log(f"ALLOW {role} {action} {name}")
                return self.answer(200, {"Parameter": reveal(name, body.get("WithDecryption"))})
            if target == "AmazonSSM.GetParameters":
                for name in body["Names"]:
                    if not allows(statements, action, arn(name)):
                        raise Denied(f"{action} on {arn(name)}")
                found = [reveal(n, body.get("WithDecryption")) for n in body["Names"] if n in params]
                log(f"ALLOW {role} {action} {len(found)} parameters")
                return self.answer(200, {"Parameters": found, "InvalidParameters": [n for n in body["Names"] if n not in params]})
            return self.answer(400, {"__type": "InvalidAction", "message": f"the lab's SSM does not serve {target}"})
        except Denied as d:
            log(f"DENY {role} {d}")
            return self.answer(400, {"__type": "AccessDeniedException", "message": f"User: {role} is not authorized to perform: {d}"})


def main():
    global ARGS
    a = argparse.ArgumentParser()
    a.add_argument("--listen", required=True)
    a.add_argument("--data", required=True)
    ARGS = a.parse_args()
    host, port = ARGS.listen.rsplit(":", 1)
    load()
    server = ThreadingHTTPServer((host, int(port)), Handler)
    log(f"listening on {ARGS.listen}")
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
