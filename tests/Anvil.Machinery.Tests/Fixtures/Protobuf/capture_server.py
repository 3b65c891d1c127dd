#!/usr/bin/env python3
"""Loopback-only fake API server used once to capture kubectl 1.32's protobuf request bodies.

Usage: capture_server.py PORT OUTDIR. Answers /version (minor 32) and legacy discovery, saves every
request body with Content-Type application/vnd.kubernetes.protobuf as OUTDIR/<n>-<method>-<kind>.pb and
answers 201 with a small JSON object so kubectl prints success. Not part of the test run.
"""
import json, sys, os, re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OUT = int(sys.argv[1]), sys.argv[2]
os.makedirs(OUT, exist_ok=True)
counter = [0]

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
def res(name, kind, namespaced=True, group=None, version=None, verbs=VERBS):
    r = {"name": name, "singularName": kind.lower() if "/" not in name else "", "namespaced": namespaced, "kind": kind, "verbs": verbs}
    if group is not None: r["group"], r["version"] = group, version
    return r

LISTS = {
    "/api/v1": ("v1", [res("namespaces", "Namespace", False), res("configmaps", "ConfigMap"), res("secrets", "Secret"),
                       res("pods", "Pod"), res("services", "Service"), res("serviceaccounts", "ServiceAccount"),
                       res("serviceaccounts/token", "TokenRequest", group="authentication.k8s.io", version="v1", verbs=["create"]),
                       res("resourcequotas", "ResourceQuota"), res("nodes", "Node", False)]),
    "/apis/apps/v1": ("apps/v1", [res("deployments", "Deployment")]),
    "/apis/batch/v1": ("batch/v1", [res("jobs", "Job"), res("cronjobs", "CronJob")]),
    "/apis/authorization.k8s.io/v1": ("authorization.k8s.io/v1", [res("selfsubjectaccessreviews", "SelfSubjectAccessReview", False, verbs=["create"])]),
    "/apis/authentication.k8s.io/v1": ("authentication.k8s.io/v1", [res("selfsubjectreviews", "SelfSubjectReview", False, verbs=["create"])]),
    "/apis/rbac.authorization.k8s.io/v1": ("rbac.authorization.k8s.io/v1", [res("roles", "Role"), res("rolebindings", "RoleBinding"), res("clusterroles", "ClusterRole", False)]),
    "/apis/policy/v1": ("policy/v1", [res("poddisruptionbudgets", "PodDisruptionBudget")]),
    "/apis/scheduling.k8s.io/v1": ("scheduling.k8s.io/v1", [res("priorityclasses", "PriorityClass", False)]),
    "/apis/networking.k8s.io/v1": ("networking.k8s.io/v1", [res("ingresses", "Ingress")]),
}

CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "default", "uid": "0b6f2c1e-8d3a-4c5e-9f00-1234567890ab"},
           "spec": {"schedule": "0 3 * * *", "jobTemplate": {"metadata": {"labels": {"app": "nightly"}},
                    "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox", "command": ["echo", "hi"]}]}}}}}}

NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node1"}, "spec": {}}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "default"}, "spec": {"nodeName": "node1", "containers": [{"name": "c", "image": "busybox"}]}}

class H(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a): sys.stderr.write("%s %s\n" % (self.command, self.path))
    def send(self, code, obj, ctype="application/json"):
        b = json.dumps(obj).encode()
        self.send_response(code); self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/version": return self.send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.4", "platform": "linux/amd64"})
        if p == "/api": return self.send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if p == "/apis":
            groups = []
            for path, (gv, _) in LISTS.items():
                if "/" not in gv: continue
                g, v = gv.split("/")
                groups.append({"name": g, "versions": [{"groupVersion": gv, "version": v}], "preferredVersion": {"groupVersion": gv, "version": v}})
            return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if p in LISTS:
            gv, rs = LISTS[p]
            return self.send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs})
        if p == "/apis/batch/v1/namespaces/default/cronjobs/nightly": return self.send(200, CRONJOB)
        if p == "/api/v1/nodes/node1": return self.send(200, NODE)
        if p == "/api/v1/pods": return self.send(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [POD]})
        if p == "/api/v1/namespaces/default/serviceaccounts/builder":
            return self.send(200, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "default"}})
        self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"})
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n)
        if "protobuf" in (self.headers.get("Content-Type") or ""):
            counter[0] += 1
            seg = [s for s in self.path.split("?")[0].split("/") if s]
            name = "%02d-%s-%s.pb" % (counter[0], self.command.lower(), "-".join(seg[-2:]))
            with open(os.path.join(OUT, name), "wb") as f: f.write(data)
            sys.stderr.write("saved %s (%d bytes) %s\n" % (name, len(data), self.path))
        return data
    def do_POST(self):
        self.body()
        p = self.path.split("?")[0]
        if "selfsubjectaccessreviews" in p:
            return self.send(201, {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "status": {"allowed": True}})
        if "selfsubjectreviews" in p:
            return self.send(201, {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "status": {"userInfo": {"username": "admin", "groups": ["system:masters"]}}})
        if p.endswith("/token"):
            return self.send(201, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "builder"}, "status": {"token": "abc", "expirationTimestamp": "2030-01-01T00:00:00Z"}})
        self.send(201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201, "metadata": {}})
    def do_PUT(self): self.do_POST()
    def do_PATCH(self):
        self.body()
        self.send(200, NODE)
    def do_DELETE(self):
        self.body()
        self.send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200, "metadata": {}})

ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
