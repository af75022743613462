#!/usr/bin/env bash
# The container image, checked as far as a machine without a container engine or registry
# allows (run as root: mount and network namespaces, chroot):
#   1. the Dockerfile's build stage, interpreted on a copy of exactly what it COPYs
#      (scripts/ci/container.py: dependency layer with stand-in targets, then the sources);
#   2. the runtime stage assembled from that binary on a locally made base (ldd's libraries,
#      CA bundle, nonroot 65532) in place of gcr.io/distroless/cc-debian12:nonroot;
#   3. that root filesystem run read-only as the image's USER, with the image's ENV,
#      ENTRYPOINT/CMD, a writable state directory and a test MDS given as files, until the
#      image's HEALTHCHECK command says SERVING; SIGTERM ends it with 0.
# Not run here: `docker build` itself and the registry base images (no engine, no registry).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
work=$(mktemp -d /tmp/mdsd-container.XXXXXX)
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in unshare chroot ldd objcopy ip; do
  command -v "$tool" >/dev/null || { echo "container: $tool is missing" >&2; exit 1; }
done

# Steps 1 and 2 (prints the image config: env, user, entrypoint, cmd, healthcheck).
python3 scripts/ci/container.py "$work" >"$work/log" || { cat "$work/log"; exit 1; }
grep '^container:' "$work/log"
root="$work/rootfs"

# A test MDS as files, placed where a ConfigMap would be mounted.
cargo run --quiet --locked --example container_fixture -- "$work/fixture"
cp -r "$work/fixture/blob.jwt" "$work/fixture/root.pem" "$work/fixture/crl" "$root/etc/mdsd/"
mkdir -p "$work/state"
chown 65532:65532 "$work/state"

image() { python3 -c "import json,sys; d=json.load(open('$work/image.json')); $1"; }
user=$(image 'print(d["user"])')
mapfile -t env_args < <(image 'print("\n".join(f"{k}={v}" for k, v in d["env"].items()))')
# The deployment's own settings, as a pod spec would add them.
env_args+=(MDSD_MDS_URL=/etc/mdsd/blob.jwt MDSD_MDS_ROOTS=/etc/mdsd/root.pem MDSD_CRL_MIRROR=/etc/mdsd/crl)
mapfile -t command < <(image 'print("\n".join(d["entrypoint"] + d["cmd"]))')
mapfile -t health < <(image 'print("\n".join(d["healthcheck"]))')
state_dir=$(image 'print(d["env"]["MDSD_STATE_DIR"])')
[ "$user" = "65532:65532" ] || { echo "container: image USER is $user, not 65532:65532" >&2; exit 1; }

# Step 3, in private mount, network and PID namespaces: / of the image read-only, the state
# directory a writable bind mount, loopback up (the image listens on 0.0.0.0:50051); whatever
# happens, the kernel ends every process of the PID namespace when run.sh exits.
cat >"$work/run.sh" <<EOF
set -eu
ip link set lo up
mount --bind "$root" "$root"
mount --bind "$work/state" "$root$state_dir"
mount -t proc proc "$root/proc"
mount -o remount,bind,ro "$root"
if touch "$root/written" 2>/dev/null; then echo "container: root filesystem is writable" >&2; exit 1; fi
in_image() { env -i ${env_args[*]} "$(command -v chroot)" --userspec=$user "$root" "\$@"; }
# Started directly (not through the function, which would fork a subshell): \$! is mdsd.
env -i ${env_args[*]} "$(command -v chroot)" --userspec=$user "$root" ${command[*]} \
  2>"$work/daemon.log" &
pid=\$!
t0=\$(date +%s%N)
until out=\$(in_image ${health[*]} 2>&1); do
  if ! kill -0 \$pid 2>/dev/null; then echo "container: mdsd exited" >&2; cat "$work/daemon.log" >&2; exit 1; fi
  if [ \$(( (\$(date +%s%N) - t0) / 1000000000 )) -ge 60 ]; then
    echo "container: not SERVING after 60 s: \$out" >&2; cat "$work/daemon.log" >&2; exit 1
  fi
  sleep 0.2
done
echo "container: HEALTHCHECK: \$out after \$(( (\$(date +%s%N) - t0) / 1000000 )) ms"
[ "\$out" = SERVING ]
stat -c 'container: %n owned by uid %u' "$work/state/snapshot.v1" "$work/state/lock"
[ "\$(stat -c %u "$work/state/snapshot.v1")" = 65532 ]
echo "container: lock holder: \$(cat "$work/state/lock")"
kill -TERM \$pid
wait \$pid && echo "container: SIGTERM: exit 0"
grep -q '"message":"mdsd started"' "$work/daemon.log" || { echo "container: no start line" >&2; exit 1; }
EOF
unshare --mount --net --pid --fork --mount-proc bash "$work/run.sh"
echo "container: total $(( $(date +%s) - started )) s"
