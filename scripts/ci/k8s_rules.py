#!/usr/bin/env python3
"""Rules for deploy/kubernetes that a schema cannot express (scripts/ci/k8s.sh runs this).

Each rule names the mistake it prevents; they were all in an earlier version of the sidecar
manifest (a ReadWriteOnce PVC on a Deployment, a pod-level runAsUser reaching the app, a
startup probe that killed mdsd while it waited for metadata, readiness gating the RP on the
BLOB, TCP probes on a loopback listener, prometheus.io/port on a loopback-only port).
Exit 1 with every broken rule listed.
"""

import ipaddress
import sys
import tomllib

import yaml

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def is_mdsd(container):
    return "mdsd" in container.get("image", "")


def listen_port(addr, where):
    """(host, port) of a `host:port` listen address; None for a Unix socket or `off`."""
    if addr is None or addr == "off" or addr.startswith("unix:"):
        return None
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host), int(port)
    except ValueError:
        err(where, f"cannot read listen address {addr!r}")
        return None


def main(paths):
    docs = []
    for path in paths:
        with open(path) as f:
            docs += [(path, d) for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for path, d in docs:
        by_kind.setdefault(d["kind"], []).append((path, d))

    configs = {}
    for path, cm in by_kind.get("ConfigMap", []):
        for key, text in (cm.get("data") or {}).items():
            if key.endswith(".toml"):
                configs[cm["metadata"]["name"]] = tomllib.loads(text)

    if by_kind.get("PersistentVolumeClaim"):
        err("manifests", "a PersistentVolumeClaim: state is per pod (emptyDir); a shared "
            "ReadWriteOnce volume blocks a second replica and surge rollouts")

    deployments = by_kind.get("Deployment", [])
    sidecar_seen = mirror_seen = False
    for path, dep in deployments:
        name = dep["metadata"]["name"]
        where = f"{path}: Deployment {name}"
        pod = dep["spec"]["template"]["spec"]
        labels = dep["spec"]["template"]["metadata"].get("labels", {})
        annotations = dep["spec"]["template"]["metadata"].get("annotations", {})
        pod_sc = pod.get("securityContext", {})
        for key in ("runAsUser", "runAsGroup", "fsGroup", "runAsNonRoot"):
            if key in pod_sc:
                err(where, f"pod-level securityContext.{key} also applies to the app: set it "
                    "on the mdsd container")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        init = pod.get("initContainers", [])
        mdsd = [(c, True) for c in init if is_mdsd(c)] + \
               [(c, False) for c in pod.get("containers", []) if is_mdsd(c)]
        others = [c for c in pod.get("containers", []) if not is_mdsd(c)]
        is_mirror = False
        for c, in_init in mdsd:
            cw = f"{where}: container {c['name']}"
            sc = c.get("securityContext", {})
            for key, want in (("runAsNonRoot", True), ("runAsUser", 65532),
                              ("readOnlyRootFilesystem", True),
                              ("allowPrivilegeEscalation", False)):
                if sc.get(key) != want:
                    err(cw, f"securityContext.{key} must be {want}")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                err(cw, "securityContext.capabilities.drop must be [ALL]")
            args = c.get("args", [])
            cfg_name = next((v["configMap"]["name"] for m in c.get("volumeMounts", [])
                             if m["mountPath"] == "/etc/mdsd"
                             for v in [volumes.get(m["name"], {})] if "configMap" in v), None)
            cfg = configs.get(cfg_name, {})
            if "--config" in args and not cfg:
                err(cw, "--config given but no ConfigMap with a .toml mounted at /etc/mdsd")
            state = next((m for m in c.get("volumeMounts", [])
                          if m["mountPath"] == cfg.get("state_dir", "/var/lib/mdsd")), None)
            if state is None or "emptyDir" not in volumes.get(state["name"], {}):
                err(cw, "the state directory must be an emptyDir volume (one per pod)")
            admin = listen_port(cfg.get("admin_listen", "127.0.0.1:9464"), cw)
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = c.get(probe_name)
                if not probe:
                    continue
                if "httpGet" in probe or "tcpSocket" in probe or "grpc" in probe:
                    spec = probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc")
                    port = ports.get(spec["port"], spec["port"])
                    if admin is None or admin[0].is_loopback or admin[1] != port:
                        err(cw, f"{probe_name} probes port {port}, but the admin listener is "
                            f"{cfg.get('admin_listen')} (kubelet reaches the pod IP only)")
                    path = probe.get("httpGet", {}).get("path")
                    if probe_name != "readinessProbe" and path not in (None, "/livez", "/healthz"):
                        err(cw, f"{probe_name} must ask only whether the process answers "
                            f"(/livez), not {path}: a daemon waiting for metadata is alive")
                elif "exec" in probe:
                    cmd = probe["exec"]["command"]
                    if probe_name != "readinessProbe" and "--live" not in cmd:
                        err(cw, f"{probe_name} must use `mdsd health --live`")
            if "startupProbe" not in c or "livenessProbe" not in c:
                err(cw, "needs a startupProbe and a livenessProbe")
            if in_init:
                sidecar_seen = True
                if c.get("restartPolicy") != "Always":
                    err(cw, "a sidecar is an init container with restartPolicy: Always")
                if "readinessProbe" in c:
                    err(cw, "no readiness probe on the sidecar: a stale BLOB would take every "
                        "replica of the RP out of service at once")
                if not others:
                    err(where, "a sidecar Deployment needs the application container")
            if "--mirror-listen" in args or "mirror_listen" in cfg:
                mirror_seen = is_mirror = True
                if "readinessProbe" not in c:
                    err(cw, "the mirror needs a readiness probe (/readyz): a mirror without a "
                        "usable BLOB must leave its Service")
            port_ann = annotations.get("prometheus.io/port")
            if port_ann is not None and (admin is None or admin[0].is_loopback
                                         or str(admin[1]) != port_ann):
                err(where, f"prometheus.io/port {port_ann} is not the admin listener reachable "
                    f"on the pod IP ({cfg.get('admin_listen')})")
        if mdsd and annotations.get("prometheus.io/scrape") != "true":
            err(where, "metrics are not scraped (prometheus.io/scrape)")
        if is_mirror:
            for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
                selecting = [d for _, d in by_kind.get(kind, []) if
                             _selects(d, kind, labels)]
                if not selecting:
                    err(where, f"no {kind} selects the mirror's pods")
    if not sidecar_seen:
        err("manifests", "no native sidecar mdsd found")
    if not mirror_seen:
        err("manifests", "no mirror Deployment found")
    for e in errors:
        print(f"k8s rule: {e}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"k8s rules: {len(deployments)} deployments checked")


def _selects(doc, kind, labels):
    spec = doc["spec"]
    if kind == "Service":
        sel = spec.get("selector", {})
    elif kind == "NetworkPolicy":
        sel = spec.get("podSelector", {}).get("matchLabels", {})
    else:
        sel = spec.get("selector", {}).get("matchLabels", {})
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


if __name__ == "__main__":
    main(sys.argv[1:])
