# tally — run `make` for the list of targets.

SHELL := /bin/bash
GO ?= go
TEMPL_VERSION := v0.3.1118
SQLC_VERSION := v1.31.1
TOOLS := $(CURDIR)/.tools
TEMPL := $(TOOLS)/templ-$(TEMPL_VERSION)
SQLC := $(TOOLS)/sqlc-$(SQLC_VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this list.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(TEMPL):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS)/tmp $(GO) install github.com/a-h/templ/cmd/templ@$(TEMPL_VERSION)
	mv $(TOOLS)/tmp/templ $@

$(SQLC):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS)/tmp $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)
	mv $(TOOLS)/tmp/sqlc $@

.PHONY: generate
generate: $(TEMPL) $(SQLC) ## Regenerate templ components and sqlc queries.
	$(SQLC) generate
	$(TEMPL) generate -path web
	gofmt -w db

.PHONY: build
build: ## Build bin/tally.
	$(GO) build -o bin/tally ./cmd/tally

.PHONY: run
run: ## Run tally with demo data: local Postgres (or a throwaway one), dev sign-in.
	$(GO) run ./cmd/tally dev

# TEST_PG is where `make test` starts a throwaway Postgres when nothing
# answers on 127.0.0.1:5432.
TEST_PG := $(CURDIR)/.tools/testpg
TEST_PG_PORT := 55432

.PHONY: test
test: ## Run every test against a real Postgres and headless Chromium.
	@$(MAKE) --no-print-directory test-deps
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
		$(GO) test -count=1 ./... ; \
	else \
		echo "No Postgres on 127.0.0.1:5432: starting a throwaway cluster in $(TEST_PG)"; \
		$(MAKE) --no-print-directory testpg-start && \
		TALLY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$(TEST_PG_PORT)/postgres \
			$(GO) test -count=1 ./... ; rc=$$?; \
		$(MAKE) --no-print-directory testpg-stop; exit $$rc; \
	fi

.PHONY: test-deps
test-deps: # Install what the tests need and the machine lacks.
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "The browser tests need chromium: sudo apt-get install -y chromium"; \
		fi; }
	@command -v pg_isready >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
		else \
			echo "The tests need Postgres: sudo apt-get install -y postgresql"; exit 1; \
		fi; }

PG_BIN = $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin)))
PG_AS = $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)

.PHONY: testpg-start
testpg-start:
	@mkdir -p $(TEST_PG) && chmod 700 $(TEST_PG)
	@if [ "$$(id -u)" = 0 ]; then chown postgres $(TEST_PG); fi
	@[ -f $(TEST_PG)/data/PG_VERSION ] || \
		$(PG_AS) $(PG_BIN)/initdb -D $(TEST_PG)/data -U postgres --auth=trust -E UTF8 >/dev/null
	@$(PG_AS) $(PG_BIN)/pg_ctl -D $(TEST_PG)/data -l $(TEST_PG)/log -w start \
		-o "-p $(TEST_PG_PORT) -c listen_addresses=127.0.0.1 -k $(TEST_PG) -c fsync=off" >/dev/null

.PHONY: testpg-stop
testpg-stop:
	@$(PG_AS) $(PG_BIN)/pg_ctl -D $(TEST_PG)/data -m fast -w stop >/dev/null

# BENCH_SIZE is the size of the Claude Code corpus that `make bench` reads.
BENCH_SIZE ?= 1GB

.PHONY: bench
bench: ## Time imports against ccusage and into Postgres; BENCH_SIZE=1GB (into .bench/).
	$(GO) run ./cmd/tallybench -size $(BENCH_SIZE) -dir $(CURDIR)/.bench

.PHONY: verify
verify: generate ## Regenerate code and fail if the committed copy differs; vet.
	git diff --exit-code -- db web
	@test -z "$$(git status --porcelain -- db web)" || \
		{ echo "generated files are not committed:"; git status --porcelain -- db web; exit 1; }
	$(GO) vet ./...

.PHONY: lint
lint: ## gofmt and go vet.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
