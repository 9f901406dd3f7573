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

# A few seconds each by default; e.g. make bench BENCH_ARGS="--seconds 15" SALES_ARGS="--seconds 30 --rate 50"
BENCH_ARGS ?= --seconds 3
SALES_ARGS ?= --seconds 3 --rate 50

bench: bootstrap
	scripts/uv.sh run python bench/ledger.py $(BENCH_ARGS)
	scripts/uv.sh run python bench/sales.py $(SALES_ARGS)

bootstrap:
	@scripts/bootstrap.sh
