# The two commands of the README. Everything else lives in scripts/.
.PHONY: run test bench load
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
