#!/usr/bin/env bash
# Benchmark (a measurement, not a test): lint time and peak memory on generated cluster dumps.
#
# Builds the release CLI, generates dumps with bench/gen_cluster.py (N NetworkPolicies over 300
# namespaces), runs `portmatrix lint --driver trident --format json FILE` RUNS times each under
# /usr/bin/time, and prints the median wall time, the median peak RSS, the input size, and
# peak/input, with PASS/MISS against the targets of the issue. A MISS never fails the script;
# a lint that exits 2 (usage) or crashes does.
#
# usage: bench/run.sh            (env: SIZES="1000 10000", RUNS=5, NAMESPACES=300)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000"}
RUNS=${RUNS:-5}
NAMESPACES=${NAMESPACES:-300}
TARGET_SECONDS=1     # 10,000 policies in under 1 s
TARGET_RATIO=10      # peak memory under 10x the input size

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time (GNU time) is required" >&2; exit 2; }

echo "==> cargo build --release -p portmatrix" >&2
cargo build --release --quiet -p portmatrix
bin=target/release/portmatrix
work=target/bench
mkdir -p "$work"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rows=()
for n in $SIZES; do
    file="$work/cluster-$n.yaml"
    python3 bench/gen_cluster.py "$n" "$NAMESPACES" > "$file"
    bytes=$(wc -c < "$file")
    : > "$work/times" ; : > "$work/rss"
    for ((i = 1; i <= RUNS; i++)); do
        rc=0
        /usr/bin/time -f '%e %M' -o "$work/time.out" \
            "$bin" lint --driver trident --format json "$file" > "$work/out.json" 2> "$work/err.txt" || rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            echo "bench: portmatrix lint failed on $file (exit $rc, run $i):" >&2
            cat "$work/time.out" "$work/err.txt" >&2
            exit 1
        fi
        # The last line is the format's; GNU time adds a line above it for a signal or an exit != 0.
        read -r secs kb < <(tail -n 1 "$work/time.out")
        echo "$secs" >> "$work/times"
        echo "$kb" >> "$work/rss"
    done
    rows+=("$n $bytes $(median < "$work/times") $(median < "$work/rss")")
    echo "    N=$n: $RUNS runs done (last exit $rc)" >&2
done

echo
echo "portmatrix lint --driver trident --format json: median of $RUNS runs ($(nproc) CPUs)"
printf '%8s  %9s  %9s  %13s  %14s\n' policies input_MB wall_s peak_RSS_MB peak/input
for row in "${rows[@]}"; do
    read -r n bytes secs kb <<< "$row"
    awk -v n="$n" -v b="$bytes" -v s="$secs" -v kb="$kb" -v ts="$TARGET_SECONDS" -v tr="$TARGET_RATIO" 'BEGIN {
        in_mb = b / 1048576; rss_mb = kb / 1024; ratio = rss_mb / in_mb
        printf "%8d  %9.2f  %5.2f %-4s  %8.1f       %6.1fx %-4s\n", n, in_mb, s, (s < ts ? "PASS" : "MISS"), rss_mb, ratio, (ratio < tr ? "PASS" : "MISS")
    }'
done
echo "targets: wall < ${TARGET_SECONDS} s (10,000 policies); peak RSS < ${TARGET_RATIO}x input. A MISS is reported, not fatal."

# ---------------------------------------------------------------------------------------------
# Host firewalls: an iptables-save dump and an `nft -j list ruleset` file of FIREWALL_RULES rules
# each (bench/gen_iptables.py, bench/gen_nft.py), linted for Huawei CSI (whose pods use the host
# network, so every flow goes through the firewall). Target: parse plus lint under 1 s each.
# ---------------------------------------------------------------------------------------------
FIREWALL_RULES=${FIREWALL_RULES:-50000}
fw_rows=()
for kind in iptables nft; do
    case "$kind" in
        iptables) file="$work/firewall-$FIREWALL_RULES.rules"; python3 bench/gen_iptables.py "$FIREWALL_RULES" "$file" ;;
        nft) file="$work/firewall-$FIREWALL_RULES.json"; python3 bench/gen_nft.py "$FIREWALL_RULES" "$file" ;;
    esac
    bytes=$(wc -c < "$file")
    : > "$work/times" ; : > "$work/rss"
    for ((i = 1; i <= RUNS; i++)); do
        rc=0
        /usr/bin/time -f '%e %M' -o "$work/time.out" \
            "$bin" lint --driver huawei-csi --format json "$file" > "$work/out.json" 2> "$work/err.txt" || rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            echo "bench: portmatrix lint failed on $file (exit $rc, run $i):" >&2
            cat "$work/time.out" "$work/err.txt" >&2
            exit 1
        fi
        read -r secs kb < <(tail -n 1 "$work/time.out")
        echo "$secs" >> "$work/times"
        echo "$kb" >> "$work/rss"
    done
    fw_rows+=("$kind $bytes $(median < "$work/times") $(median < "$work/rss")")
    echo "    $kind: $RUNS runs done (last exit $rc)" >&2
done
echo
echo "portmatrix lint --driver huawei-csi --format json on $FIREWALL_RULES-rule firewalls: median of $RUNS runs"
printf '%8s  %9s  %9s  %13s\n' format input_MB wall_s peak_RSS_MB
for row in "${fw_rows[@]}"; do
    read -r kind bytes secs kb <<< "$row"
    awk -v k="$kind" -v b="$bytes" -v s="$secs" -v kb="$kb" 'BEGIN {
        printf "%8s  %9.2f  %5.2f %-4s  %8.1f\n", k, b / 1048576, s, (s < 1 ? "PASS" : "MISS"), kb / 1024
    }'
done
echo "target: parse plus lint < 1 s per firewall file. A MISS is reported, not fatal."
