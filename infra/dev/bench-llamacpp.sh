#!/usr/bin/env bash
# `make bench-llamacpp`: the engine against llama.cpp on the same weights at the same bits per weight
# (issue #2's long-term bar). Never run by CI.
#  1. llama.cpp is built from the source bundle inside the npm package node-llama-cpp (npm is reachable
#     where GitHub is not), once, under .data/llama.cpp.
#  2. The bench checkpoint (random DeepSeek-V2-Lite shape, 8 layers, FP8) is exported with
#     `maas model export-gguf` as Q8_0: 8.5 bits per weight, the same as the engine's --weights q8.
#  3. Rounds alternate maas and llama.cpp, batch 1 then 16, because this VM's bandwidth drifts by 2x
#     within minutes; compare figures of the same round. llama.cpp runs its own best CPU setting here:
#     weights read into memory (-lm none, so Q8_0 is repacked for AVX-512), flash attention off.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
MODEL="${MAAS_BENCH_MODEL:-$ROOT/.data/models/bench-v2lite-fp8}"
GGUF="${MODEL%/}-q8_0.gguf"
THREADS="${MAAS_BENCH_THREADS:-2}"
ROUNDS="${MAAS_BENCH_ROUNDS:-3}"
NODE_LLAMA_CPP="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
LLAMA="$ROOT/.data/llama.cpp"

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

if [ ! -x "$LLAMA/build/bin/llama-batched-bench" ]; then
  log "building llama.cpp from node-llama-cpp@$NODE_LLAMA_CPP's source bundle (a few minutes)"
  rm -rf "$LLAMA" && mkdir -p "$LLAMA"
  (cd "$LLAMA" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP" >/dev/null \
    && tar xzf "node-llama-cpp-$NODE_LLAMA_CPP.tgz" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json)
  git -c advice.detachedHead=false clone -q "$LLAMA/package/llama/gitRelease.bundle" "$LLAMA/src"
  cmake -S "$LLAMA/src" -B "$LLAMA/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$LLAMA/build.log" 2>&1
  cmake --build "$LLAMA/build" -j"$(nproc)" --target llama-batched-bench >>"$LLAMA/build.log" 2>&1 \
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

echo "llama.cpp: $(cat "$LLAMA/package/llama/llama.cpp.info.json" | tr -d '\n ' ) commit $(git -C "$LLAMA/src" rev-parse --short HEAD)"
echo "round batch | maas decode tokens/s (achieved vs measured bandwidth) | llama.cpp decode tokens/s"
for round in $(seq 1 "$ROUNDS"); do
  for batch in 1 16; do
    ours=$(maas bench engine --model "$MODEL" --weights q8 --batch "$batch" --threads "$THREADS" --prompt-tokens 32 --steps 32)
    theirs=$("$LLAMA/build/bin/llama-batched-bench" -m "$GGUF" -t "$THREADS" -c 4096 -b 512 -ub 512 \
      -npp 32 -ntg 32 -npl "$batch" -fa off -lm none 2>/dev/null)
    ours_tps=$(echo "$ours" | sed -n 's/^decode: .* = \([0-9.]*\) tokens\/s.*/\1/p')
    ours_bw=$(echo "$ours" | sed -n 's/^achieved bandwidth: \([0-9.]* GB\/s = [0-9]*%\) of measured \([0-9.]* GB\/s\) before decode; \([0-9]*%\) of the median.*/\1 of \2 before, \3 of the median during decode/p')
    # batched-bench's table: | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | ...
    theirs_tps=$(echo "$theirs" | awk -F'|' -v b="$batch" '$4+0 == b && $2+0 == 32 { gsub(/ /, "", $9); print $9 }')
    printf '%5s %5s | %8s (%s) | %8s\n' "$round" "$batch" "$ours_tps" "$ours_bw" "$theirs_tps"
  done
done
