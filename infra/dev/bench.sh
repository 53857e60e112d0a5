#!/usr/bin/env bash
# `make bench`: the metering path into PostgreSQL (records/s, latency added at 500 requests/s); another tenant's
# 1-token request while one tenant floods 100 requests and 8 x 1 MB '<' bodies (p50/p99); the plant integrations
# (MQTT round-trip overhead, 100 connected plants, batch vs interactive throughput and TPOT); the engine benchmark
# on a random DeepSeek-V2-Lite-shaped 8-layer FP8 checkpoint (2 threads): prefill of 512 and 2,048 tokens, decode at
# batch 1 and 16 after 32-token prompts and at batch 1 over 512 / 2,048 / 8,192 tokens of (synthetic) context; the Q8
# and attention kernel harnesses, constrained decoding (structured), tenant fine-tunes in mixed batches; then the
# BenchmarkDotNet micro-benchmarks. Never run by CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
MODEL="${MAAS_BENCH_MODEL:-$ROOT/.data/models/bench-v2lite-fp8}"
THREADS="${MAAS_BENCH_THREADS:-2}"
WEIGHTS="${MAAS_BENCH_WEIGHTS:-q8 native}"

echo "== metering: group commit into PostgreSQL (a fresh database on the deps.sh server)"
infra/dev/deps.sh start
eval "$(infra/dev/deps.sh env)"
export MAAS_POSTGRES
dotnet run -c Release --project tests/Maas.Benchmarks -- metering ${METERING_BENCH_ARGS:-}
echo

echo "== fairness: another tenant's 1-token request while one tenant floods (gateway, api and worker processes)"
dotnet build Maas.sln -c Release -v q -nologo >/dev/null
dotnet run -c Release --project tests/Maas.Benchmarks -- fairness ${FAIRNESS_BENCH_ARGS:-}
echo

echo "== plant: MQTT round-trip overhead, 100 connected plants, batch vs interactive (worker, api, Maas.Plant, gateway processes)"
dotnet run -c Release --project tests/Maas.Benchmarks -- plant ${PLANT_BENCH_ARGS:-}
echo

dotnet build services/Maas.Cli -c Release -v q -nologo >/dev/null
maas() { dotnet services/Maas.Cli/bin/Release/net10.0/maas.dll "$@"; }
if [ ! -f "$MODEL/config.json" ]; then
  maas model init-random --shape deepseek-v2-lite --layers 8 --dtype fp8 --out "$MODEL"
fi

for weights in $WEIGHTS; do
  echo "== maas bench engine --weights $weights --threads $THREADS"
  maas bench engine --model "$MODEL" --weights "$weights" --threads "$THREADS" --steps 32 \
    --cases 1x512:1,1x2048:1,1x32:32,16x32:32 --contexts 512,2048,8192
  echo
done

echo "== structured outputs: schema compile, grammar cost per token, decode constrained vs unconstrained (batch 1, 16)"
dotnet run -c Release --project tests/Maas.Benchmarks -- structured --model "$MODEL" --threads "$THREADS"
echo

echo "== fine-tunes: 8 tenants' fine-tunes (8% of routed experts) in one batch vs the base; cold start; memory"
dotnet run -c Release --project tests/Maas.Benchmarks -- finetunes --model "$MODEL" --threads "$THREADS"
echo

echo "== kernels: one MoE layer and lm_head at batch 1-32"
dotnet run -c Release --project tests/Maas.Benchmarks -- kernels --threads "$THREADS"
echo

echo "== attention: one layer's MLA, decode at 32-8192 tokens of context, prompt chunks"
dotnet run -c Release --project tests/Maas.Benchmarks -- attention --threads "$THREADS"
echo

dotnet run -c Release --project tests/Maas.Benchmarks -- ${BENCH_ARGS:---filter '*'}
