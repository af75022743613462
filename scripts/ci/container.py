#!/usr/bin/env python3
"""Checks the Dockerfile without a container engine (scripts/ci/container.sh runs this).

The CI machine has no Docker/podman engine and no registry for the base images, so the
Dockerfile is *interpreted* here, instruction by instruction:

1. The build stage, in an empty directory: every COPY copies exactly the paths it names from
   the repository (refused when .dockerignore would exclude them), every RUN runs as written
   with `sh -c`. Two substitutions, both printed: `cargo build --release` runs as a dev build
   with CARGO_TARGET_DIR pointing at the repository's target/ (the registry crates are already
   built there; a from-scratch release build would take far longer on 2 cores) and its binary is
   put where the release one would be; `/out` is a directory of this run, not the host's.
2. The runtime stage on a locally made base instead of distroless/cc: the shared libraries
   `ldd` names for the binary, the CA bundle, /etc/passwd and /etc/group with nonroot 65532.
   Its COPY --from=build instructions take the build stage's /out.
3. The root filesystem runs read-only (a private mount namespace: the rootfs bind-mounted
   read-only, the state directory a writable bind mount, a private network namespace) as the
   image's USER with the image's ENV, ENTRYPOINT and CMD, plus a test MDS given as files
   (examples/container_fixture.rs) under /etc/mdsd, until the image's HEALTHCHECK command run
   in the same root says SERVING. Then SIGTERM must end it with 0.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def log(msg):
    print(f"container: {msg}", flush=True)


def parse_dockerfile(path):
    """[(stage name, base, [(instruction, argument text)])], continuation lines joined."""
    stages, logical, buf = [], [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not buf and (line.lstrip().startswith("#") or not line.strip()):
                continue
            if buf and line.lstrip().startswith("#"):
                continue  # comment lines inside a continued instruction are dropped by Docker
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            logical.append(buf + line)
            buf = ""
    for line in logical:
        inst, _, arg = line.strip().partition(" ")
        inst = inst.upper()
        if inst == "FROM":
            words = arg.split()
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else str(len(stages))
            stages.append((name, words[0], []))
        else:
            stages[-1][2].append((inst, arg.strip()))
    return stages


def dockerignore():
    path = os.path.join(REPO, ".dockerignore")
    rules = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                neg = line.startswith("!")
                rules.append((neg, line.lstrip("!").strip("/")))
    return rules


def ignored(rel, rules):
    """Docker's rule: the last matching pattern wins; a pattern also matches a path's parents."""
    parts = rel.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for neg, pattern in rules:
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            result = not neg
    return result


def copy_in(srcs, dest, src_root, root, workdir, rules=None):
    """COPY srcs dest: a directory's contents go into dest; a file goes to dest, or into it
    when dest ends with '/' (required by Docker for several sources)."""
    dest_abs = dest if dest.startswith("/") else os.path.join(workdir, dest)
    target = os.path.join(root, dest_abs.lstrip("/"))
    skip = (lambda d, names: [n for n in names if rules is not None and
                              ignored(os.path.relpath(os.path.join(d, n), src_root), rules)])
    for src in srcs:
        if rules is not None and ignored(src, rules):
            sys.exit(f"container: COPY {src}: excluded by .dockerignore")
        path = os.path.join(src_root, src.lstrip("/"))
        if not os.path.exists(path):
            sys.exit(f"container: COPY {src}: not in the build context")
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True, symlinks=True, ignore=skip)
        else:
            file_target = os.path.join(target, os.path.basename(src)) if dest.endswith("/") \
                else target
            os.makedirs(os.path.dirname(file_target), exist_ok=True)
            shutil.copy2(path, file_target)


def run_build_stage(instructions, ctx, out):
    rules = dockerignore()
    workdir = "/"
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(REPO, "target"))
    for inst, arg in instructions:
        if inst == "WORKDIR":
            workdir = arg
            os.makedirs(os.path.join(ctx, arg.lstrip("/")), exist_ok=True)
        elif inst == "COPY":
            words = shlex.split(arg)
            if any(w.startswith("--from") for w in words):
                sys.exit("container: COPY --from in the build stage is not interpreted")
            words = [w for w in words if not w.startswith("--")]
            copy_in(words[:-1], words[-1], REPO, ctx, workdir, rules)
            log(f"COPY {' '.join(words)}")
        elif inst == "RUN":
            cmd = re.sub(r"(?<![\w./-])/out(?=[/\s-]|$)", out, arg)
            built = False
            if "cargo build --release" in cmd:
                cmd = cmd.replace("cargo build --release", "cargo build")
                built = True
            log(f"RUN {cmd if len(cmd) < 200 else cmd[:200] + ' …'}")
            t = time.time()
            subprocess.run(["sh", "-ec", cmd], cwd=os.path.join(ctx, workdir.lstrip("/")),
                           env=env, check=True)
            if built:
                # The dev binary stands where the Dockerfile's later steps expect the release one.
                # (Cargo puts it at target/debug/mdsd, replacing the repository's own build of
                # the same sources there.)
                release = os.path.join(ctx, workdir.lstrip("/"), "target", "release")
                os.makedirs(release, exist_ok=True)
                shutil.copy2(os.path.join(REPO, "target", "debug", "mdsd"),
                             os.path.join(release, "mdsd"))
            log(f"  {time.time() - t:.1f} s")
        elif inst in ("ENV", "ARG", "LABEL"):
            continue
        else:
            sys.exit(f"container: {inst} in the build stage is not interpreted")


def make_base(root, binary):
    """A stand-in for distroless/cc-debian12:nonroot: libc, libgcc, CA certificates, nonroot."""
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    for line in libs.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if m:
            lib = m.group(1)
            dest = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(os.path.realpath(lib), dest)
    # The loader's usual path, whatever directory ldd printed it from.
    for d in ("etc/ssl/certs", "var/lib", "tmp", "home/nonroot", "dev", "proc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(bundle):
        shutil.copy2(bundle, os.path.join(root, bundle.lstrip("/")))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/sbin/nologin\n"
                "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\nnonroot:x:65532:\n")
    os.chown(os.path.join(root, "home/nonroot"), 65532, 65532)


def run_runtime_stage(instructions, root, out):
    image = {"env": {}, "user": "0:0", "entrypoint": [], "cmd": [], "healthcheck": None,
             "volumes": []}
    for inst, arg in instructions:
        if inst == "COPY":
            words = shlex.split(arg)
            chown = next((w.split("=", 1)[1] for w in words if w.startswith("--chown=")), None)
            if not any(w == "--from=build" for w in words):
                sys.exit(f"container: runtime COPY without --from=build: {arg}")
            paths = [w for w in words if not w.startswith("--")]
            copy_in([re.sub(r"^/out", out, p) for p in paths[:-1]], paths[-1], "/", root, "/")
            if chown:
                uid, gid = (int(x) for x in chown.split(":"))
                target = os.path.join(root, paths[-1].lstrip("/"))
                for d, dirs, files in os.walk(target):
                    for p in [d] + [os.path.join(d, n) for n in dirs + files]:
                        os.chown(p, uid, gid)
            log(f"COPY {arg}")
        elif inst == "USER":
            image["user"] = arg
        elif inst == "ENV":
            for word in shlex.split(arg):
                k, _, v = word.partition("=")
                image["env"][k] = v
        elif inst == "ENTRYPOINT":
            image["entrypoint"] = json.loads(arg)
        elif inst == "CMD":
            image["cmd"] = json.loads(arg)
        elif inst == "VOLUME":
            image["volumes"] = json.loads(arg)
        elif inst == "HEALTHCHECK":
            image["healthcheck"] = json.loads(arg[arg.index("CMD") + 3:].strip())
        elif inst in ("EXPOSE", "LABEL", "WORKDIR"):
            continue
        else:
            sys.exit(f"container: {inst} in the runtime stage is not interpreted")
    return image


def main():
    work = sys.argv[1]
    ctx, out, root = (os.path.join(work, d) for d in ("ctx", "out", "rootfs"))
    for d in (ctx, out, root):
        os.makedirs(d)
    stages = parse_dockerfile(os.path.join(REPO, "Dockerfile"))
    build = next(s for s in stages if s[0] == "build")
    runtime = stages[-1]
    log(f"stages: {[s[0] + ' FROM ' + s[1] for s in stages]}")

    t = time.time()
    run_build_stage(build[2], ctx, out)
    log(f"step 1 (build stage as written): {time.time() - t:.1f} s")

    t = time.time()
    binary = os.path.join(out, "usr/local/bin/mdsd")
    make_base(root, binary)
    image = run_runtime_stage(runtime[2], root, out)
    size = os.path.getsize(binary)
    unstripped = os.path.getsize(os.path.join(ctx, "src/target/release/mdsd"))
    log(f"step 2 (runtime root filesystem): {time.time() - t:.1f} s; binary {size / 1e6:.1f} MB "
        f"stripped (dev build), {unstripped / 1e6:.1f} MB before; "
        f"debug info kept in /out/debug: {os.path.exists(os.path.join(out, 'debug/mdsd.debug'))}")
    # The fixture is mounted read-only at /etc/mdsd, as a ConfigMap would be.
    os.makedirs(os.path.join(root, "etc/mdsd"))
    with open(os.path.join(work, "image.json"), "w") as f:
        json.dump(image, f)
    print(json.dumps(image))


if __name__ == "__main__":
    main()
