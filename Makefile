# Two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.PHONY: build run test bench bench-llamacpp stop deps

# Everything, Release (make run / make test build what they need themselves).
build:
	dotnet build Maas.sln -c Release

# PostgreSQL + Redis, migrate, seed, then api + worker silos and the gateway on :8080. Ctrl-C stops them.
run:
	@infra/dev/run.sh

# PostgreSQL + Redis, then every test project in Maas.sln, with a summary line.
test:
	@infra/dev/test.sh

# Benchmarks (never run by CI): engine decode (infra/dev/bench.sh), then BenchmarkDotNet (BENCH_ARGS="--filter *Tokenizer*").
bench:
	@infra/dev/bench.sh

# The engine against llama.cpp (built once from npm's node-llama-cpp source bundle) on the same Q8 weights:
# prefill 512/2048, decode at batch 1 (32- and 2048-token prompts) and 16, ratios, CPU flags.
bench-llamacpp:
	@infra/dev/bench-llamacpp.sh

# Start / stop only PostgreSQL and Redis.
deps:
	@infra/dev/deps.sh start

stop:
	@infra/dev/deps.sh stop
