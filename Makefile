# Two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.PHONY: build run test bench

build:
	dotnet build Maas.sln -c Release

test:
	dotnet test Maas.sln -c Release

bench:
	dotnet run -c Release --project tests/Maas.Benchmarks
