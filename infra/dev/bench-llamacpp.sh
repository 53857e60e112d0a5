#!/usr/bin/env bash
# `make bench-llamacpp`: the engine against llama.cpp on the same weights at the same bits per weight, on this
# machine, in one run (issue #18's bar). Never run by CI.
#  1. llama.cpp is built from the source bundle inside the npm package node-llama-cpp (npm is reachable where
#     GitHub is not), once, under .data/llama.cpp (GGML_NATIVE: the widest ISA this CPU has).
#  2. The bench checkpoint (random DeepSeek-V2-Lite shape, 8 layers, FP8) is exported with `maas model export-gguf`
#     as Q8_0: 8.5 bits per weight, the same as the engine's --weights q8.
#  3. Rounds alternate maas and llama.cpp because a shared VM's speed drifts within minutes; compare figures of the
#     same round. Measured: prefill of a 512- and a 2,048-token prompt (llama-bench pp512/pp2048; maas sends prompts
#     in 512-token steps, as llama.cpp's default micro-batch), decode at batch 1 after 32- and 2,048-token prompts
#     (llama-bench tg32 at depth 0 and 2048) and at batch 16 after 32-token prompts (llama-batched-bench).
#     llama.cpp runs with weights read into memory (-lm none) and with flash attention off and on; its better
#     figure of the two is the one compared. The summary gives the median and the best round of each engine:
#     on a shared machine other work only ever slows a run down, and llama.cpp's spinning thread barrier
#     suffers from it more than the engine's pool, so the best rounds are the fairer comparison.
#  Raw outputs of every run are kept under $MAAS_BENCH_LOG (default .data/bench-llamacpp/<time>).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
MODEL="${MAAS_BENCH_MODEL:-$ROOT/.data/models/bench-v2lite-fp8}"
GGUF="${MODEL%/}-q8_0.gguf"
THREADS="${MAAS_BENCH_THREADS:-2}"
ROUNDS="${MAAS_BENCH_ROUNDS:-2}"
NODE_LLAMA_CPP="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
LLAMA="$ROOT/.data/llama.cpp"
BIN="$LLAMA/build/bin"
LOG="${MAAS_BENCH_LOG:-$ROOT/.data/bench-llamacpp/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$LOG"

log() { echo "[bench-llamacpp] $*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}

missing=()
for tool in cmake:cmake g++:g++ git:git npm:npm; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$BIN/llama-batched-bench" ] || [ ! -x "$BIN/llama-bench" ]; then
  log "building llama.cpp from node-llama-cpp@$NODE_LLAMA_CPP's source bundle (a few minutes)"
  if [ ! -d "$LLAMA/src" ]; then
    rm -rf "$LLAMA" && mkdir -p "$LLAMA"
    (cd "$LLAMA" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP" >/dev/null \
      && tar xzf "node-llama-cpp-$NODE_LLAMA_CPP.tgz" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json)
    git -c advice.detachedHead=false clone -q "$LLAMA/package/llama/gitRelease.bundle" "$LLAMA/src"
  fi
  cmake -S "$LLAMA/src" -B "$LLAMA/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$LLAMA/build.log" 2>&1
  cmake --build "$LLAMA/build" -j"$(nproc)" --target llama-batched-bench llama-bench llama-simple >>"$LLAMA/build.log" 2>&1 \
    || { log "llama.cpp build failed, see $LLAMA/build.log"; exit 1; }
fi

dotnet build services/Maas.Cli -c Release -v q -nologo >/dev/null
maas() { dotnet services/Maas.Cli/bin/Release/net10.0/maas.dll "$@"; }
if [ ! -f "$MODEL/config.json" ]; then
  maas model init-random --shape deepseek-v2-lite --layers 8 --dtype fp8 --out "$MODEL"
fi
if [ ! -f "$GGUF" ] || [ "$MODEL/model.safetensors" -nt "$GGUF" ]; then
  maas model export-gguf --model "$MODEL" --out "$GGUF"
fi

echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) logical cores, $THREADS threads"
echo "cpu flags (vector): $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|fma|f16c|avx_vnni|avx512[a-z_0-9]*|amx[a-z_0-9]*)$' | sort -u | tr '\n' ' ')"
echo "llama.cpp: $(tr -d '\n ' <"$LLAMA/package/llama/llama.cpp.info.json") commit $(git -C "$LLAMA/src" rev-parse --short HEAD)"
echo "weights: $MODEL as --weights q8 (maas) and $GGUF (llama.cpp Q8_0)"
echo "raw outputs: $LOG"

# One maas load per round runs every measurement.
maas_round() { # $1 = round
  maas bench engine --model "$MODEL" --weights q8 --threads "$THREADS" --prefill-chunk 512 \
    --cases 1x512:1,1x2048:32,1x32:32,16x32:32 2>/dev/null | tee "$LOG/round$1-maas.txt"
}
maas_value() { # $1 = output, $2 = sed pattern selecting the line's tokens/s
  echo "$1" | sed -n "$2" | head -1
}

# llama-bench CSV: the best avg_ts over flash attention off/on for (n_prompt, n_gen, n_depth).
llama_bench_best() { # $1 = csv, $2 n_prompt, $3 n_gen, $4 n_depth
  echo "$1" | awk -F'","|^"|"$' -v p="$2" -v g="$3" -v d="$4" '
    NR == 1 { gsub(/"/, ""); n = split($0, h, ","); for (i = 1; i <= n; i++) col[h[i]] = i + 1; next }
    $col["n_prompt"] == p && $col["n_gen"] == g && $col["n_depth"] == d { if ($col["avg_ts"] + 0 > best) best = $col["avg_ts"] + 0 }
    END { if (best > 0) printf "%.1f", best }'
}

llama_round() { # $1 = round
  local pp tg b16 b16on
  pp=$("$BIN/llama-bench" -m "$GGUF" -t "$THREADS" -lm none -fa off,on -r 1 -p 512,2048 -n 0 -o csv 2>/dev/null | tee "$LOG/round$1-llama-pp.csv")
  tg=$("$BIN/llama-bench" -m "$GGUF" -t "$THREADS" -lm none -fa off,on -r 1 -p 0 -n 32 -d 0,2048 -o csv 2>/dev/null | tee "$LOG/round$1-llama-tg.csv")
  b16=$("$BIN/llama-batched-bench" -m "$GGUF" -t "$THREADS" -c 4096 -b 512 -ub 512 -npp 32 -ntg 32 -npl 16 -fa off -lm none 2>/dev/null \
    | tee "$LOG/round$1-llama-batched-fa-off.txt" | awk -F'|' '$4+0 == 16 && $2+0 == 32 { gsub(/ /, "", $9); print $9 }')
  b16on=$("$BIN/llama-batched-bench" -m "$GGUF" -t "$THREADS" -c 4096 -b 512 -ub 512 -npp 32 -ntg 32 -npl 16 -fa on -lm none 2>/dev/null \
    | tee "$LOG/round$1-llama-batched-fa-on.txt" | awk -F'|' '$4+0 == 16 && $2+0 == 32 { gsub(/ /, "", $9); print $9 }')
  L_PP512=$(llama_bench_best "$pp" 512 0 0)
  L_PP2048=$(llama_bench_best "$pp" 2048 0 0)
  L_TG32=$(llama_bench_best "$tg" 0 32 0)
  L_TG2048=$(llama_bench_best "$tg" 0 32 2048)
  L_B16=$(awk -v a="${b16:-0}" -v b="${b16on:-0}" 'BEGIN { printf "%.1f", (a > b ? a : b) }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

NAMES=("prefill 512 tokens" "prefill 2048 tokens" "decode b1, 32-token prompt" "decode b1, 2048-token prompt" "decode b16, 32-token prompts")
declare -a OURS THEIRS
printf '%-5s | %-30s | %12s | %12s | %6s\n' round measure "maas tok/s" "llama tok/s" ratio
for round in $(seq 1 "$ROUNDS"); do
  out=$(maas_round "$round")
  M=(
    "$(maas_value "$out" 's/^prefill: 1 x 512 tokens in .* = \([0-9.]*\) tokens\/s.*/\1/p')"
    "$(maas_value "$out" 's/^prefill: 1 x 2048 tokens in .* = \([0-9.]*\) tokens\/s.*/\1/p')"
    "$(maas_value "$out" 's/^decode: batch 1 after 32-token prompts, .* = \([0-9.]*\) tokens\/s.*/\1/p')"
    "$(maas_value "$out" 's/^decode: batch 1 after 2048-token prompts, .* = \([0-9.]*\) tokens\/s.*/\1/p')"
    "$(maas_value "$out" 's/^decode: batch 16 after 32-token prompts, .* = \([0-9.]*\) tokens\/s.*/\1/p')"
  )
  llama_round "$round"
  L=("$L_PP512" "$L_PP2048" "$L_TG32" "$L_TG2048" "$L_B16")
  for i in "${!NAMES[@]}"; do
    printf '%-5s | %-30s | %12s | %12s | %6s\n' "$round" "${NAMES[$i]}" "${M[$i]:-n/a}" "${L[$i]:-n/a}" "$(ratio "${M[$i]:-0}" "${L[$i]:-0}")"
    OURS[$i]="${OURS[$i]:-} ${M[$i]:-0}"
    THEIRS[$i]="${THEIRS[$i]:-} ${L[$i]:-0}"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }
echo
echo "over $ROUNDS rounds (bar: prefill >= 1.0x, decode b1 >= 1.0x, decode b16 >= 2.0x)"
printf '%-30s | %-36s | %-36s\n' measure "median: maas, llama.cpp, ratio" "best: maas, llama.cpp, ratio"
for i in "${!NAMES[@]}"; do
  m=$(echo "${OURS[$i]}" | median); l=$(echo "${THEIRS[$i]}" | median)
  bm=$(echo "${OURS[$i]}" | best); bl=$(echo "${THEIRS[$i]}" | best)
  printf '%-30s | %8.1f %8.1f %6sx          | %8.1f %8.1f %6sx\n' "${NAMES[$i]}" "$m" "$l" "$(ratio "$m" "$l")" "$bm" "$bl" "$(ratio "$bm" "$bl")"
done
