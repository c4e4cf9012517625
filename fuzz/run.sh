#!/usr/bin/env bash
# Runs every fuzz target (the YAML reader, each input adapter, the profile and matrix loaders,
# the whole lint) for a set number of executions (default 20000; CI smoke: 2000) with
# seed corpora from fixtures/ and tests/hostile/, and prints executions and crashes per target.
# usage: fuzz/run.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-20000}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(yaml k8s profile matrix lint iptables nft firewalld calico cilium anp)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  mkdir -p "$corpus"
  case "$t" in
    profile) cp ../fixtures/*/*.portmatrix.yaml "$corpus"/ 2>/dev/null || true ;;
    matrix) for f in ../policies/matrix/*/data.yaml; do cp "$f" "$corpus/$(basename "$(dirname "$f")").yaml"; done ;;
    iptables) cp ../fixtures/layers/iptables/*.rules ../tests/hostile/iptables-* "$corpus"/ 2>/dev/null || true ;;
    nft) cp ../fixtures/layers/nftables/*.json ../tests/hostile/nft-* "$corpus"/ 2>/dev/null || true ;;
    firewalld) cp ../fixtures/layers/firewalld/*.xml ../tests/hostile/firewalld-* "$corpus"/ 2>/dev/null || true ;;
    calico|cilium|anp) cp ../fixtures/layers/"$t"/*.yaml ../tests/hostile/"$t"-* "$corpus"/ 2>/dev/null || true ;;
    *) cp ../fixtures/*/*.yaml ../tests/hostile/*.yaml "$corpus"/ 2>/dev/null || true ;;
  esac
  log=$(mktemp)
  status=0
  cargo +nightly fuzz run "$t" "$corpus" -- -runs="$runs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1 || status=$?
  execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || echo "?")
  crashes=$(ls artifacts/"$t" 2>/dev/null | grep -cE '^(crash|oom|timeout|leak)-' || true)
  echo "$t: executions=$execs crashes=$crashes exit=$status"
  if [ "$status" -ne 0 ]; then tail -30 "$log"; fi
done
