#!/bin/sh
# Installs everything the build and the test suites need on a fresh Debian 12 (bookworm).
# Idempotent and non-interactive: packages already installed are left alone, and no service
# (sshd, dropbear) is started by the package scripts. Run as root (or with sudo available).
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only report missing packages (exit 1 if any)
set -eu

PACKAGES="
build-essential g++ cmake ninja-build pkg-config
libssl-dev libuv1-dev libc-ares-dev libgtest-dev libgmock-dev zlib1g-dev
openssh-server openssh-client dropbear-bin socat curl
tmux xvfb x11-utils xauth
rsync git nlohmann-json3-dev
libsystemd-dev libmicrohttpd-dev libmnl-dev libnftables-dev
nftables dnsmasq-base bind9-dnsutils iperf3
man-db groff-base dpkg-dev file systemd
clang libclang-rt-14-dev
procps iproute2 ca-certificates python3 passwd
"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
echo "install-deps: missing:$missing"
if [ "${1:-}" = "--check" ]; then
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: must run as root (or with sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Keep maintainer scripts from starting daemons (invoke-rc.d honours policy-rc.d exit 101).
# Only install our own policy file if none exists, and remove it afterwards.
POLICY=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 0755 "$POLICY"
    own_policy=1
fi
cleanup() {
    if [ "$own_policy" = 1 ]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT INT TERM

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
for p in $missing; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        echo "install-deps: package '$p' has no install candidate" >&2
        exit 1
    fi
done
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing

# sshd's privilege-separation directory (normally made by the service unit we did not start).
$SUDO mkdir -p /run/sshd
$SUDO chmod 0755 /run/sshd
echo "install-deps: done"
