# The two commands of the README. Everything else lives in scripts/.
.PHONY: run test bench load scale-out
run:
	bash scripts/run
test:
	bash scripts/test
# Benchmarks print a table; they are not tests.
bench:
	bash -c 'source scripts/env.sh && cargo bench --bench dashboard --features ssr --profile server'
# The load tool (event page, purchase, flash sale, crash safety): `make load ARGS=flash`.
load:
	bash -c 'source scripts/env.sh && cargo bench --bench load --features ssr --profile server -- $(ARGS)'
# Two TickEx instances on one SurrealDB server (built by tools/surreal), flash sale across both.
scale-out:
	bash scripts/scale-out.sh
