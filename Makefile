.PHONY: run test lint bench bootstrap
PORT ?= 8000

run:
	@scripts/run.sh

test:
	@scripts/test.sh

lint: bootstrap
	scripts/uv.sh run ruff check src tests bench
	scripts/uv.sh run ruff format --check src tests bench
	scripts/uv.sh run mypy src/linli/ledger src/linli/communities src/linli/members src/linli/merchants src/linli/commerce

bench: bootstrap
	scripts/uv.sh run python bench/ledger.py $(BENCH_ARGS)

bootstrap:
	@scripts/bootstrap.sh
