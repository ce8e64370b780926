"""moto, plus the AWS APIs grantscope's tests need that moto 5.2.5 lacks.

Run it exactly like moto_server:  python moto_ext.py -H 127.0.0.1 -p PORT

Why it exists: moto drops EKS `accessConfig`, has no EKS access-entry / access-policy API and
no CloudTrail LookupEvents. This launcher adds them as methods on moto's own response classes,
so they speak the real wire protocols the AWS SDKs use (EKS: REST-JSON; CloudTrail and
CloudWatch Logs: JSON 1.1) and moto's serializer shapes every response from botocore's service
model (timestamps as epoch seconds, only modelled members). It also wraps moto's WSGI app with
a call log and fault injection for every service, and CloudTrail's real LookupEvents rate limit
(2 per second per account and Region; here per access key and Region).

Test-only routes (never logged as calls):
  GET    /moto-ext/calls[?operation=Op]  -> {"calls": [{"service", "operation", "time"[, "fault"]}]}
  POST   /moto-ext/faults  {"operation", "count": 1, "code", "status": 400, "message"[, "service"],
                           "after": 0}   the next `count` calls after `after` more fail with `code`
  DELETE /moto-ext/faults                 drop pending faults
  POST   /moto-ext/cloudtrail/events      a JSON list of CloudTrail records (or {"Records": [...]})
  POST   /moto-ext/config  {"lookupEventsRateLimit": true|false}     (default true)
  POST   /moto-ext/eks/cluster  {"name", "endpoint", "certificateAuthority"}  point a cluster's
                                  API server at a test's fake one (moto makes up both)
  POST   /moto-api/reset                  moto's reset; also clears everything above
"""

import base64, hashlib, io, json, re, threading, time, uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import moto.server
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError
from moto.core.request import Request
from moto.core.responses import ActionResult, EmptyResult
from moto.core.routing import get_service_router
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (InvalidParameterException, InvalidRequestException,
                                 ResourceInUseException, ResourceNotFoundException)
from moto.eks.responses import EKSResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.wrappers import Response

# The AWS managed access policies (the EKS user guide's list, and those seen in the API's answers).
ACCESS_POLICIES = [f"arn:aws:eks::aws:cluster-access-policy/{n}" for n in """
    AmazonEKSAdminPolicy AmazonEKSClusterAdminPolicy AmazonEKSAdminViewPolicy AmazonEKSEditPolicy
    AmazonEKSViewPolicy AmazonEKSSecretReaderPolicy AmazonEKSAutoNodePolicy
    AmazonEKSBlockStoragePolicy AmazonEKSLoadBalancingPolicy AmazonEKSNetworkingPolicy
    AmazonEKSComputePolicy AmazonEKSBlockStorageClusterPolicy AmazonEKSComputeClusterPolicy
    AmazonEKSLoadBalancingClusterPolicy AmazonEKSNetworkingClusterPolicy AmazonEKSHybridPolicy
    AmazonEKSClusterInsightsPolicy AmazonAIOpsAssistantPolicy AmazonARCRegionSwitchScalingPolicy
    AmazonEMRJobPolicy AmazonSagemakerHyperpodClusterPolicy AmazonSagemakerHyperpodControllerPolicy
    AmazonSagemakerHyperpodSystemNamespacePolicy AmazonEKSSecretAdminPolicy AmazonEKSACKPolicy
    AmazonEKSArgoCDClusterPolicy AmazonEKSArgoCDPolicy AmazonEKSKROPolicy
    AmazonEKSPodIdentityPolicy AmazonEKSEventPolicy AWSBackupFullAccessPolicyForBackup
    AWSBackupFullAccessPolicyForRestore""".split()]
CLUSTER_ADMIN = ACCESS_POLICIES[1]
MODES = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]  # EKS only lets a cluster move rightwards
PRINCIPAL = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):(role|user)/(.+)$")


class State:
    """Extension state that moto's reset does not know about (EKS state lives on moto's clusters)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.calls, self.faults, self.events, self.lookups = [], [], [], {}
            self.config = {"lookupEventsRateLimit": True}


STATE = State()


def now():
    return datetime.now(timezone.utc)


def page(items, key, max_results, token, bad_token, limit, query=""):
    """Real cursor paging: sort by key; the token names the last key returned and the query."""
    items = sorted(items, key=key)
    start = 0
    if token:
        try:
            cursor = json.loads(base64.urlsafe_b64decode(token))
            assert cursor["q"] == query
        except Exception:
            raise bad_token()
        start = next((i for i, x in enumerate(items) if key(x) > cursor["after"]), len(items))
    size = limit if max_results is None else max_results
    chunk = items[start:start + size]
    if start + size >= len(items):
        return chunk, None
    cursor = {"after": key(chunk[-1]), "q": query}
    return chunk, base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()


# ---------------------------------------------------------------- EKS (REST-JSON) -------------
def eks_error(exc, cluster, message):
    """moto's EKS errors: x-amzn-ErrorType header and a JSON body {"clusterName", "message"}."""
    return exc(message=message, **({"clusterName": cluster} if cluster else {}))


def bad_eks_token():
    return eks_error(InvalidParameterException, None, "The nextToken provided is invalid.")


def _cluster(self, need_api=True):
    name = self._get_param("name")
    cluster = self.eks_backend.clusters.get(name)
    if cluster is None:
        raise eks_error(ResourceNotFoundException, name, f"No cluster found for name: {name}.")
    if need_api and cluster.access_config["authenticationMode"] == "CONFIG_MAP":
        raise eks_error(InvalidRequestException, name, "The cluster's authentication mode must be "
                        "set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
    return cluster


def _entry(self, cluster):
    principal = self._get_param("principalArn")
    if principal not in cluster.access_entries:
        raise eks_error(ResourceNotFoundException, cluster.name, "The specified principalArn "
                        "could not be found. You can view your available access entries with "
                        "'list-access-entries'.")
    return cluster.access_entries[principal]


def _max_results(self):
    n = self._get_int_param("maxResults")
    if n is not None and not 1 <= n <= 100:
        raise eks_error(InvalidParameterException, None, "maxResults must be between 1 and 100.")
    return n


def new_entry(cluster, principal, groups=None, username=None, kind="STANDARD", tags=None):
    m = PRINCIPAL.match(principal or "")
    if not m:
        raise eks_error(InvalidParameterException, cluster.name,
                        f"The specified principalArn is invalid: {principal}")
    partition, account, what, path = m.groups()
    name = path.rsplit("/", 1)[-1]  # assumed-role ARNs carry the role name without its path
    if username is None:
        username = {"STANDARD": principal if what == "user" else
                    f"arn:{partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}",
                    "FARGATE_LINUX": "system:node:{{SessionName}}"}.get(
                        kind, "system:node:{{EC2PrivateDNSName}}")
    arn = cluster.arn.replace(":cluster/", ":access-entry/", 1)
    t = now()
    cluster.access_entries[principal] = entry = {
        "clusterName": cluster.name, "principalArn": principal, "kubernetesGroups": groups or [],
        "accessEntryArn": f"{arn}/{what}/{account}/{name}/{uuid.uuid4()}", "createdAt": t,
        "modifiedAt": t, "tags": tags or {}, "username": username, "type": kind}
    cluster.associations[principal] = {}
    return entry


def associate(cluster, principal, policy, scope):
    kind, namespaces = scope.get("type"), scope.get("namespaces") or []
    if policy not in ACCESS_POLICIES:
        raise eks_error(InvalidParameterException, cluster.name, f"The policyArn {policy} is invalid.")
    if kind not in ("cluster", "namespace") or (kind == "namespace") != bool(namespaces):
        raise eks_error(InvalidParameterException, cluster.name, "accessScope must be type cluster "
                        "without namespaces, or type namespace with at least one namespace.")
    old = cluster.associations[principal].get(policy)
    cluster.associations[principal][policy] = assoc = {
        "policyArn": policy, "accessScope": {"type": kind, "namespaces": namespaces},
        "associatedAt": old["associatedAt"] if old else now(), "modifiedAt": now()}
    return assoc


_moto_create_cluster = EKSResponse.create_cluster
_moto_update_cluster_config = EKSResponse.update_cluster_config


def create_cluster(self):
    access = self._get_param("accessConfig") or {}
    mode = access.get("authenticationMode", "CONFIG_MAP")
    bootstrap = access.get("bootstrapClusterCreatorAdminPermissions", True)
    if mode not in MODES:
        raise eks_error(InvalidParameterException, None, f"Invalid authenticationMode: {mode}")
    if mode == "CONFIG_MAP" and not bootstrap:
        raise eks_error(InvalidParameterException, None, "bootstrapClusterCreatorAdminPermissions "
                        "must be true if the cluster authentication mode is CONFIG_MAP")
    result = _moto_create_cluster(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    cluster.access_config = {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap}
    cluster.access_entries, cluster.associations, cluster.updates = {}, {}, {}
    if bootstrap and mode != "CONFIG_MAP":  # like EKS: the creator gets a cluster-admin entry
        from moto.sts.models import sts_backends
        _, arn, _ = sts_backends[self.current_account][self.partition].get_caller_identity(
            self.get_access_key(), self.region)
        arn = re.sub(r":sts::(\d+):assumed-role/([^/]+)/.*", r":iam::\1:role/\2", arn)
        principal = arn.replace(":sts::", ":iam::")  # moto's default caller is "sts::…:user/moto"
        new_entry(cluster, principal)
        associate(cluster, principal, CLUSTER_ADMIN, {"type": "cluster"})
    return result


def update_cluster_config(self):
    cluster = _cluster(self, need_api=False)
    mode = (self._get_param("accessConfig") or {}).get("authenticationMode")
    if mode:
        old = cluster.access_config["authenticationMode"]
        if mode not in MODES or MODES.index(mode) <= MODES.index(old):
            raise eks_error(InvalidParameterException, cluster.name,
                            f"Unsupported authentication mode update from {old} to {mode}")
        cluster.access_config["authenticationMode"] = mode
        kind, params = "AccessConfigUpdate", [{"type": "AuthenticationMode", "value": mode}]
    else:
        _moto_update_cluster_config(self)  # moto applies vpc/logging/network changes
        kind = "LoggingUpdate" if self._get_param("logging") else "ConfigUpdate"
        params = []
    update = {"id": str(uuid.uuid4()), "status": "Successful", "type": kind, "params": params,
              "createdAt": now(), "errors": []}
    cluster.updates[update["id"]] = update  # DescribeUpdate reports it done
    return ActionResult({"update": dict(update, status="InProgress")})


def describe_update(self):
    update = _cluster(self, need_api=False).updates.get(self._get_param("updateId"))
    if update is None:
        raise eks_error(ResourceNotFoundException, self._get_param("name"), "No update found.")
    return ActionResult({"update": update})


def create_access_entry(self):
    cluster = _cluster(self)
    principal = self._get_param("principalArn")
    if principal in cluster.access_entries:
        raise eks_error(ResourceInUseException, cluster.name,
                        "The specified access entry resource is already in use on this cluster.")
    return ActionResult({"accessEntry": new_entry(
        cluster, principal, self._get_param("kubernetesGroups"), self._get_param("username"),
        self._get_param("type") or "STANDARD", self._get_param("tags"))})


def describe_access_entry(self):
    return ActionResult({"accessEntry": _entry(self, _cluster(self))})


def update_access_entry(self):
    entry = _entry(self, _cluster(self))
    for field in ("kubernetesGroups", "username"):
        if self._get_param(field) is not None:
            entry[field] = self._get_param(field)
    entry["modifiedAt"] = now()
    return ActionResult({"accessEntry": entry})


def delete_access_entry(self):
    cluster = _cluster(self)
    principal = _entry(self, cluster)["principalArn"]
    del cluster.access_entries[principal], cluster.associations[principal]
    return EmptyResult()


def list_access_entries(self):
    cluster = _cluster(self)
    policy = self._get_param("associatedPolicyArn")
    arns = [a for a in cluster.access_entries if not policy or policy in cluster.associations[a]]
    arns, token = page(arns, str, _max_results(self), self._get_param("nextToken"), bad_eks_token,
                       100, query=policy or "")
    return ActionResult({"accessEntries": arns, "nextToken": token})


def associate_access_policy(self):
    cluster = _cluster(self)
    principal = _entry(self, cluster)["principalArn"]
    assoc = associate(cluster, principal, self._get_param("policyArn"),
                      self._get_param("accessScope") or {})
    return ActionResult({"clusterName": cluster.name, "principalArn": principal,
                         "associatedAccessPolicy": assoc})


def disassociate_access_policy(self):
    cluster = _cluster(self)
    policies = cluster.associations[_entry(self, cluster)["principalArn"]]
    if policies.pop(self._get_param("policyArn"), None) is None:
        raise eks_error(ResourceNotFoundException, cluster.name,
                        "The specified policy is not associated with this access entry.")
    return EmptyResult()


def list_associated_access_policies(self):
    cluster = _cluster(self)
    principal = _entry(self, cluster)["principalArn"]
    items, token = page(cluster.associations[principal].values(), lambda a: a["policyArn"],
                        _max_results(self), self._get_param("nextToken"), bad_eks_token, 100)
    return ActionResult({"clusterName": cluster.name, "principalArn": principal,
                         "nextToken": token, "associatedAccessPolicies": items})


def list_access_policies(self):
    items, token = page([{"name": a.rsplit("/", 1)[1], "arn": a} for a in ACCESS_POLICIES],
                        lambda p: p["name"], _max_results(self), self._get_param("nextToken"),
                        bad_eks_token, 100)
    return ActionResult({"accessPolicies": items, "nextToken": token})


for _fn in (create_cluster, update_cluster_config, describe_update, create_access_entry,
            describe_access_entry, update_access_entry, delete_access_entry, list_access_entries,
            associate_access_policy, disassociate_access_policy, list_associated_access_policies,
            list_access_policies):
    setattr(EKSResponse, _fn.__name__, _fn)  # moto dispatches on the snake_case operation name
# Flask only has to reach EKS's dispatcher; moto's botocore-model router then picks the
# operation and its (percent-decoded) path labels, so ARNs containing '/' are fine.
_dispatch = EKSResponse.dispatch
eks_urls.url_paths.update({
    "{0}/clusters/(?P<name>[^/]+)/access-entries$": _dispatch,
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<rest>.+)$": _dispatch,
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$": _dispatch,
    "{0}/access-policies$": _dispatch,
})


# ---------------------------------------------------------------- CloudTrail (JSON 1.1) -------
ct_error = JsonRESTError  # body {"__type": code, "message": ...} plus x-amzn-ErrorType, HTTP 400


def parse_time(value):
    if isinstance(value, (int, float)):  # what SDKs send in JSON 1.1: epoch seconds
        return datetime.fromtimestamp(value, timezone.utc)
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))  # record eventTime
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def to_event(record):
    """A CloudTrail record as LookupEvents shows it (Username, Resources derived from the record)."""
    who = record.get("userIdentity") or {}
    username = {"Root": "root", "AssumedRole": (who.get("arn") or "/").rsplit("/", 1)[-1] or None
                }.get(who.get("type"), who.get("userName"))
    read_only = record.get("readOnly")
    event = {"EventId": record["eventID"], "EventName": record["eventName"],
             "ReadOnly": None if read_only is None else str(read_only).lower(),
             "AccessKeyId": who.get("accessKeyId"), "EventTime": parse_time(record["eventTime"]),
             "EventSource": record["eventSource"], "Username": username,
             "Resources": [{"ResourceType": r.get("type"), "ResourceName": r.get("ARN")}
                           for r in record.get("resources") or []],
             "CloudTrailEvent": json.dumps(record)}
    return {k: v for k, v in event.items() if v is not None}


def lookup_events(self):
    attrs = self._get_param("LookupAttributes") or []
    if len(attrs) > 1:
        raise ct_error("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    keys = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
            "EventSource", "AccessKeyId")
    if attrs and (attrs[0].get("AttributeKey") not in keys or not attrs[0].get("AttributeValue")):
        raise ct_error("InvalidLookupAttributesException", f"Invalid lookup attribute: {attrs[0]}")
    start, end = self._get_param("StartTime"), self._get_param("EndTime")
    start, end = start and parse_time(start), end and parse_time(end)
    if start and end and start > end:
        raise ct_error("InvalidTimeRangeException", "Start time must be before end time.")
    max_results = self._get_param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= 50:
        raise ct_error("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    with STATE.lock:
        records = [r for r in STATE.events if r.get("awsRegion") in (None, self.region)]
    events = []
    for event in map(to_event, records) if self._get_param("EventCategory") != "insight" else []:
        if (start and event["EventTime"] < start) or (end and event["EventTime"] > end):
            continue
        if attrs:
            key, want = attrs[0]["AttributeKey"], attrs[0]["AttributeValue"]
            have = [r[key] for r in event["Resources"]] if key.startswith("Resource") else [event.get(key)]
            if want not in have:
                continue
        events.append(event)
    query = hashlib.sha256(json.dumps([attrs, str(start), str(end)]).encode()).hexdigest()
    events, token = page(events, lambda e: [-e["EventTime"].timestamp(), e["EventId"]],  # newest first
                         max_results and int(max_results), self._get_param("NextToken"),
                         lambda: ct_error("InvalidNextTokenException", "Invalid NextToken."), 50, query)
    return ActionResult({"Events": events, "NextToken": token})


CloudTrailResponse.lookup_events = lookup_events


# ---------------------------------------------------------------- WSGI: log, faults, routes ---
def peek_body(environ):
    """Read the request body and put it back for moto."""
    if not environ.get("CONTENT_LENGTH"):
        return b""
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def identify(environ):
    """(protocol, service, operation, rate-limit key) of an AWS SDK request."""
    auth = re.search(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    key, region, service = auth.groups() if auth else ("", "", "")
    if environ.get("HTTP_X_AMZ_TARGET"):  # JSON 1.0/1.1: "Logs_20140328.FilterLogEvents"
        return "json", service, environ["HTTP_X_AMZ_TARGET"].rsplit(".", 1)[-1], (key, region)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        query.update(parse_qs(peek_body(environ).decode("utf-8", "replace")))
    if "Action" in query:  # query protocol (STS, IAM, ...)
        return "query", service, query["Action"][0], (key, region)
    try:  # REST: moto's router maps method + path to the operation, from botocore's model
        operation, _ = get_service_router(service).match(Request(environ))
        return "rest", service, operation.name, (key, region)
    except Exception:
        return "rest", service, f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}", (key, region)


def error_response(protocol, environ, code, status, message):
    rid = str(uuid.uuid4())
    if protocol == "json":
        return Response(json.dumps({"__type": code, "message": message}), status, {
            "Content-Type": environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1",
            "x-amzn-RequestId": rid})
    if protocol == "query":
        return Response(f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>"
                        f"{escape(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>",
                        status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid})
    return Response(json.dumps({"message": message}), status, {
        "Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": rid})


def take_fault(service, operation, key):
    with STATE.lock:
        for fault in STATE.faults:
            if fault["operation"] == operation and fault.get("service") in (None, service):
                if fault.get("after", 0) > 0:  # let this many calls through first
                    fault["after"] -= 1
                    return None
                fault["count"] -= 1
                STATE.faults = [f for f in STATE.faults if f["count"] > 0]
                return fault
        if operation == "LookupEvents" and service == "cloudtrail" and STATE.config["lookupEventsRateLimit"]:
            t = time.time()  # sliding 1 s window over admitted calls, per access key and Region
            recent = [s for s in STATE.lookups.get(key, []) if t - s < 1.0]
            if len(recent) >= 2:
                return {"code": "ThrottlingException", "status": 400, "message": "Rate exceeded"}
            STATE.lookups[key] = recent + [t]
    return None


def ext_route(environ, method, path):
    def reply(body, status=200):
        return Response(json.dumps(body), status, {"Content-Type": "application/json"})
    try:
        body = json.loads(peek_body(environ) or b"null")
    except ValueError as e:
        return reply({"message": f"body is not JSON: {e}"}, 400)
    with STATE.lock:
        if (method, path) == ("GET", "/moto-ext/calls"):
            want = parse_qs(environ.get("QUERY_STRING", "")).get("operation", [None])[0]
            return reply({"calls": [c for c in STATE.calls if want in (None, c["operation"])]})
        if (method, path) == ("POST", "/moto-ext/faults"):
            if not isinstance(body, dict) or not {"operation", "code"} <= body.keys():
                return reply({"message": "a fault needs at least operation and code"}, 400)
            fault = {"count": 1, "status": 400, "message": body["code"], **body}
            STATE.faults.append(fault)
            return reply({"faults": STATE.faults})
        if (method, path) == ("DELETE", "/moto-ext/faults"):
            STATE.faults = []
            return reply({"faults": []})
        if (method, path) == ("POST", "/moto-ext/cloudtrail/events"):
            records = body.get("Records", [body]) if isinstance(body, dict) else body
            for r in records if isinstance(records, list) else [None]:
                try:
                    assert r["eventSource"] and r["eventName"] and parse_time(r["eventTime"])
                except Exception:
                    return reply({"message": f"not a CloudTrail record (eventTime, eventSource, "
                                             f"eventName): {r}"}, 400)
                r.setdefault("eventID", str(uuid.uuid4()))
            STATE.events.extend(records)
            return reply({"injected": len(records), "total": len(STATE.events)})
        if (method, path) == ("POST", "/moto-ext/eks/cluster"):
            from moto.eks.models import eks_backends
            clusters = [b.clusters[body["name"]] for regions in eks_backends.values()
                        for b in regions.values() if body["name"] in b.clusters]
            for c in clusters:
                c.endpoint = body["endpoint"]
                c.certificate_authority = {"data": body["certificateAuthority"]}
            return reply({"updated": len(clusters)}, 200 if clusters else 404)
        if (method, path) == ("POST", "/moto-ext/config"):
            STATE.config.update(body)
            return reply(STATE.config)
    return reply({"message": f"no route {method} {path}"}, 404)


class ExtApp(DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        # Test routes are unsigned; a signed SDK request (say, S3 bucket "moto-ext") still
        # reaches moto, which dispatches on Host / signature / path and never sees /moto-ext/.
        if path.startswith("/moto-ext/") and "HTTP_AUTHORIZATION" not in environ:
            return ext_route(environ, method, path)(environ, start_response)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            if method == "POST" and path.rstrip("/") == "/moto-api/reset":
                STATE.reset()
            return super().__call__(environ, start_response)
        protocol, service, operation, key = identify(environ)
        fault = take_fault(service, operation, key)
        call = {"service": service, "operation": operation, "time": time.time()}
        with STATE.lock:
            STATE.calls.append(dict(call, fault=fault["code"]) if fault else call)
        if fault:
            return error_response(protocol, environ, fault["code"], int(fault["status"]),
                                  fault["message"])(environ, start_response)
        return super().__call__(environ, start_response)


if __name__ == "__main__":
    moto.server.DomainDispatcherApplication = ExtApp  # main() builds its app from this name
    moto.server.main()
