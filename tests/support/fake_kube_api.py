#!/usr/bin/env python3
"""Fake Kubernetes API server for grantscope's integration tests.

No Kubernetes API server can run on this machine (no kube-apiserver, envtest or kind), so this
serves the few read endpoints grantscope calls, in the JSON shapes the real API answers with,
from fixture YAML. It is a stand-in, not an emulation:

  python fake_kube_api.py --port PORT --fixtures DIR [--tls-dir DIR] [--token T | --eks-token CLUSTER]

* Fixtures: every *.yaml/*.yml/*.json in DIR (multi-document; `kind: List` items are unpacked),
  keeping Role, ClusterRole, RoleBinding, ClusterRoleBinding and ConfigMap. Re-read on every
  request, so a test may change them between syncs (write a dotfile and rename: dotfiles are
  skipped). Missing uid/resourceVersion/creationTimestamp are generated; resourceVersions come
  from a counter bumped whenever an object's content changes or an object disappears.
* Lists honour `limit`/`continue` (opaque token, remainingItemCount, etcd key order) and omit
  kind/apiVersion in items; single ConfigMap GETs include them. Errors are `Status` objects.
* `--tls-dir`: writes a fresh CA (ca.crt) and a leaf for IP 127.0.0.1 / DNS localhost signed by it.
* `--token T`: static bearer token. `--eks-token CLUSTER`: the bearer must be a structurally valid
  EKS IAM token (the checks aws-iam-authenticator's Verify makes before calling STS, plus the
  date/scope checks STS makes). Neither given: no authentication.
* Test hooks (no auth, not logged): GET /fake/requests lists {method, path, query, authorized,
  status} per request; POST /fake/fail {"status": N} makes every other path, /healthz included,
  answer N with a Status body until {"status": 0}.

What it does NOT do:
* no writes (POST/PUT/PATCH/DELETE on API paths answer 405), no watch, no label/field selectors
  (400), no single GET of RBAC objects, no discovery (/api, /apis), no protobuf or Table output;
* no resourceVersion semantics: `resourceVersion` parameters are ignored, a continue token resumes
  after its key in the *current* fixtures (no snapshot, never 410 Expired);
* no authorization (every authenticated caller sees everything), no impersonation, no client
  certificates, no validation or defaulting of fixture objects (served as written), no HTTP/2;
* EKS tokens: the SigV4 signature is NOT verified and STS is NOT called (no real STS here, and moto
  does not check signatures), the x-k8s-aws-id value is not checked (it is a signed header, not in
  the URL; only its presence in X-Amz-SignedHeaders is), and no IAM identity is mapped through
  aws-auth: a well-formed token is simply accepted.
"""
import argparse, base64, binascii, datetime as dt, hashlib, hmac, json, os, re, signal, ssl, sys
import threading, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import yaml

RBAC = "rbac.authorization.k8s.io/v1"
API_VERSION = {"Role": RBAC, "ClusterRole": RBAC, "RoleBinding": RBAC, "ClusterRoleBinding": RBAC,
               "ConfigMap": "v1"}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding"}
RESOURCES = {"roles": "Role", "clusterroles": "ClusterRole", "rolebindings": "RoleBinding",
             "clusterrolebindings": "ClusterRoleBinding"}
LIST_ALL = re.compile(r"^/apis/rbac\.authorization\.k8s\.io/v1/(roles|clusterroles|rolebindings|clusterrolebindings)$")
LIST_NS = re.compile(r"^/apis/rbac\.authorization\.k8s\.io/v1/namespaces/([^/]+)/(roles|rolebindings)$")
CONFIGMAP = re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps/([^/]+)$")
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 429: "TooManyRequests", 500: "InternalError",
           503: "ServiceUnavailable", 504: "Timeout"}
VERSION = {"major": "1", "minor": "33", "emulationMajor": "1", "emulationMinor": "33",
           "minCompatibilityMajor": "1", "minCompatibilityMinor": "32",
           "gitVersion": "v1.33.0-eks-8a1b2c3", "gitCommit": "8a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
           "gitTreeState": "clean", "buildDate": "2025-05-01T00:00:00Z", "goVersion": "go1.24.2",
           "compiler": "gc", "platform": "linux/amd64"}
UTC = dt.timezone.utc


def status(code, message, details=None):
    """A metav1.Status failure body, fields in the order the real API writes them."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": REASONS.get(code, "Unknown")}
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def jsonable(value):  # YAML turns unquoted timestamps into datetimes; the API writes RFC 3339
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def flatten(docs):
    for doc in docs:
        if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and "items" in doc:
            yield from flatten(doc.get("items") or [])
        elif isinstance(doc, dict):
            yield doc


class Store:
    """Fixture objects keyed (kind, namespace, name); generated metadata stays stable across reads."""

    def __init__(self, directory):
        self.dir, self.lock, self.revision, self.seen = directory, threading.Lock(), 1, {}

    def load(self):
        objects = {}
        for fname in sorted(os.listdir(self.dir)):
            if fname.startswith(".") or not fname.endswith((".yaml", ".yml", ".json")):
                continue
            with open(os.path.join(self.dir, fname), encoding="utf-8") as f:
                docs = list(yaml.safe_load_all(f))
            for obj in flatten(docs):
                kind = obj.get("kind")
                if kind not in API_VERSION:
                    continue
                meta = dict(obj.get("metadata") or {})
                if not meta.get("name"):
                    raise ValueError(f"{fname}: a {kind} without metadata.name")
                if kind in CLUSTER_SCOPED:
                    meta.pop("namespace", None)
                else:
                    meta["namespace"] = meta.get("namespace") or "default"
                key = (kind, meta.get("namespace", ""), meta["name"])
                if key in objects:
                    raise ValueError(f"{fname}: duplicate {kind} {'/'.join(key[1:]).lstrip('/')}")
                objects[key] = {**obj, "apiVersion": API_VERSION[kind], "metadata": meta}
        with self.lock:
            for key, obj in objects.items():
                digest = hashlib.sha256(json.dumps(obj, sort_keys=True, default=jsonable).encode()).hexdigest()
                if self.seen.get(key, (None,))[0] != digest:
                    self.revision += 1
                    self.seen[key] = (digest, self.revision)
            for key in set(self.seen) - set(objects):
                del self.seen[key]
                self.revision += 1
            for key, obj in objects.items():
                meta = obj["metadata"]
                meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, "fake-kube/" + "/".join(key))))
                meta["resourceVersion"] = str(meta.get("resourceVersion") or self.seen[key][1])
                meta.setdefault("creationTimestamp", "2025-01-01T00:00:00Z")
            return objects, self.revision


STS_HOST = re.compile(r"^sts(?:\.([a-z0-9-]+))?\.amazonaws\.com(\.cn)?$")
STS_PARAMS = {"action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
              "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders"}  # the authenticator's allow-list
WINDOW = dt.timedelta(minutes=15)


def eks_token_problem(token, now=None):
    """None if `token` is a well-formed EKS token (signature NOT checked), else why not."""
    prefix = "k8s-aws-v1."
    if len(token) > 4096:
        return "token is too large"
    if not token.startswith(prefix):
        return f"token is missing expected {prefix!r} prefix"
    body = token[len(prefix):]
    if not re.fullmatch(r"[A-Za-z0-9_-]*", body):
        return "token is not unpadded base64url"
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        return f"token does not decode: {e}"
    u = urlsplit(url)
    if u.scheme != "https":
        return f"unexpected scheme {u.scheme!r} in pre-signed URL"
    host = STS_HOST.match(u.netloc)
    if not host:
        return f"unexpected hostname {u.netloc!r} in pre-signed URL"
    if u.path != "/":
        return f"unexpected path {u.path!r} in pre-signed URL"
    try:
        pairs = parse_qsl(u.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return "malformed query parameter"
    q = {}
    for k, v in pairs:
        if k.lower() not in STS_PARAMS:
            return f"non-whitelisted query parameter {k!r}"
        if k.lower() in q:
            return f"query parameter {k!r} with multiple values not supported"
        q[k.lower()] = v
    for k, want in (("action", "GetCallerIdentity"), ("version", "2011-06-15"), ("x-amz-algorithm", "AWS4-HMAC-SHA256")):
        if q.get(k) != want:
            return f"{k} parameter is {q.get(k)!r}, want {want!r}"
    signed = q.get("x-amz-signedheaders", "").lower().split(";")
    for h in ("host", "x-k8s-aws-id"):
        if h not in signed:
            return f"client did not sign the {h} header in the pre-signed URL (X-Amz-SignedHeaders={q.get('x-amz-signedheaders')!r})"
    if not re.fullmatch(r"[0-9]+", q.get("x-amz-expires", "")) or int(q["x-amz-expires"]) > 900:
        return f"invalid X-Amz-Expires parameter in pre-signed URL: {q.get('x-amz-expires')!r} (want 0..900)"
    try:
        date = dt.datetime.strptime(q.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return f"X-Amz-Date parameter {q.get('x-amz-date')!r} is missing or not YYYYMMDDTHHMMSSZ"
    now = now or dt.datetime.now(UTC)
    if now > date + WINDOW:
        return f"X-Amz-Date parameter is expired (15 minute expiration) {date.isoformat()}"
    if date > now + WINDOW:
        return f"X-Amz-Date parameter {date.isoformat()} is more than 15 minutes in the future"
    cred = q.get("x-amz-credential", "").split("/")
    if len(cred) != 5 or not cred[0] or cred[1] != date.strftime("%Y%m%d") or cred[3:] != ["sts", "aws4_request"]:
        return f"X-Amz-Credential {q.get('x-amz-credential')!r} is not AKID/{date:%Y%m%d}/REGION/sts/aws4_request"
    region = host.group(1) or (None if host.group(2) else "us-east-1")
    if region and cred[2] != region:
        return f"X-Amz-Credential is scoped to region {cred[2]!r} but the URL is for {region!r}"
    if not re.fullmatch(r"[0-9a-f]{64}", q.get("x-amz-signature", "")):
        return "X-Amz-Signature is not 64 lowercase hex digits"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-api"

    def log_message(self, *args):  # quiet: tests read /fake/requests instead
        pass

    def setup(self):  # TLS handshake in the connection's own thread, not in the accept loop
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def do_GET(self):
        self.serve(self.command)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body, default=jsonable, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return code

    def auth_problem(self):
        opts = self.server.opts
        if opts.token is None and opts.eks_token is None:
            return None
        parts = self.headers.get("Authorization", "").strip().split(" ", 1)
        if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
            return "no bearer token in the Authorization header"
        token = parts[1].strip()
        if opts.token is not None:
            return None if hmac.compare_digest(token.encode(), opts.token.encode()) else "bearer token does not match --token"
        why = eks_token_problem(token)
        return f"EKS token for cluster {opts.eks_token!r} rejected: {why}" if why else None

    def serve(self, method):
        srv, url = self.server, urlsplit(self.path)
        path, query = url.path, dict(parse_qsl(url.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith("/fake/"):
            return self.fake(method, path, raw)
        why = None if path == "/healthz" else self.auth_problem()
        entry = {"method": method, "path": path, "query": query, "authorized": why is None}
        with srv.lock:
            srv.requests.append(entry)
            fail = srv.fail
        try:
            entry["status"] = self.route(method, path, query, why, fail)
        except Exception as e:  # a broken fixture file should show up in the test's failure output
            entry["status"] = self.send(500, status(500, f"fake_kube_api: {type(e).__name__}: {e}"))

    def route(self, method, path, query, why, fail):
        if fail:
            return self.send(fail, status(fail, f"fake_kube_api: injected failure {fail} (POST /fake/fail)"))
        if path == "/healthz":
            return self.send(200, b"ok", "text/plain; charset=utf-8")
        if why:
            return self.send(401, status(401, f"Unauthorized: {why}"))
        known = path == "/version" or LIST_ALL.match(path) or LIST_NS.match(path) or CONFIGMAP.match(path)
        if not known:
            return self.send(404, status(404, "the server could not find the requested resource", {}))
        if method != "GET":
            return self.send(405, status(405, "the server does not allow this method on the requested resource"))
        if path == "/version":
            return self.send(200, VERSION)
        if m := CONFIGMAP.match(path):
            objects, _ = self.server.store.load()
            obj = objects.get(("ConfigMap", m[1], m[2]))
            if obj is None:
                return self.send(404, status(404, f'configmaps "{m[2]}" not found', {"name": m[2], "kind": "configmaps"}))
            return self.send(200, {"kind": "ConfigMap", **obj})
        ns, resource = (None, LIST_ALL.match(path)[1]) if LIST_ALL.match(path) else LIST_NS.match(path).groups()
        return self.list(resource, ns, query)

    def list(self, resource, ns, query):
        if query.get("watch") in ("1", "true"):
            return self.send(400, status(400, "fake_kube_api does not support watch"))
        if query.get("labelSelector") or query.get("fieldSelector"):
            return self.send(400, status(400, "fake_kube_api does not support label or field selectors"))
        kind = RESOURCES[resource]
        objects, rv = self.server.store.load()
        # etcd key order: "ns/name" across namespaces, "name" within one namespace or cluster scope
        items = sorted((k[2] if ns or kind in CLUSTER_SCOPED else f"{k[1]}/{k[2]}", o)
                       for k, o in objects.items() if k[0] == kind and (ns is None or k[1] == ns))
        try:
            limit = int(query.get("limit") or 0)
            assert limit >= 0
        except (ValueError, AssertionError):
            return self.send(400, status(400, f"invalid limit {query.get('limit')!r}"))
        if query.get("continue"):
            try:
                token = query["continue"]
                tok = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                assert tok["v"] == "meta.k8s.io/v1"
                start, rv = tok["start"], int(tok["rv"])
            except Exception as e:
                return self.send(400, status(400, f"continue key is not valid: {e}"))
            items = [(k, o) for k, o in items if k >= start]
        meta = {"resourceVersion": str(rv)}
        if limit and len(items) > limit:
            tok = {"v": "meta.k8s.io/v1", "rv": rv, "start": items[limit - 1][0] + "\x00"}
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(tok, separators=(",", ":")).encode()).decode().rstrip("=")
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        out = [{"metadata": o["metadata"], **{k: v for k, v in o.items() if k not in ("kind", "apiVersion", "metadata")}}
               for _, o in items]
        return self.send(200, {"kind": kind + "List", "apiVersion": RBAC, "metadata": meta, "items": out})

    def fake(self, method, path, raw):
        srv = self.server
        if method == "GET" and path == "/fake/requests":
            with srv.lock:
                return self.send(200, list(srv.requests))
        if method == "POST" and path == "/fake/fail":
            try:
                code = int(json.loads(raw or b"{}").get("status") or 0)
            except (ValueError, AttributeError):
                return self.send(400, status(400, 'body must be {"status": N}'))
            with srv.lock:
                srv.fail = code
            return self.send(200, {"status": code})
        return self.send(404, status(404, f"unknown fake endpoint {method} {path}"))


def make_tls(directory):
    """A CA (written to ca.crt) and a leaf for 127.0.0.1/localhost signed by it, as rustls/webpki want."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    os.makedirs(directory, exist_ok=True)
    now = dt.datetime.now(UTC)

    def cert(cn, pub, issuer_cn, issuer_key, ca):
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
             .public_key(pub).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=365))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                          crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
        if not ca:
            b = (b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                               x509.DNSName("localhost")]), critical=False))
        return b.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("fake-kube-api CA", ca_key.public_key(), "fake-kube-api CA", ca_key, True)
    leaf = cert("fake-kube-api", leaf_key.public_key(), "fake-kube-api CA", ca_key, False)
    pem = serialization.Encoding.PEM
    files = {"ca.crt": ca.public_bytes(pem), "server.crt": leaf.public_bytes(pem),
             "server.key": leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())}
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    return os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True, help="0 picks a free port (printed as `ready PORT`)")
    p.add_argument("--fixtures", required=True)
    p.add_argument("--tls-dir", help="write ca.crt here and serve HTTPS")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--token", help="require Authorization: Bearer TOKEN")
    auth.add_argument("--eks-token", metavar="CLUSTER", help="require a well-formed EKS IAM token")
    opts = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    server.daemon_threads = True
    server.opts, server.store, server.lock = opts, Store(opts.fixtures), threading.Lock()
    server.requests, server.fail = [], 0
    server.handle_error = lambda request, addr: print(f"fake_kube_api: {addr}: {sys.exc_info()[1]!r}", file=sys.stderr)
    if opts.tls_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*make_tls(opts.tls_dir))
        ctx.set_alpn_protocols(["http/1.1"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {server.server_address[1]}", flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
