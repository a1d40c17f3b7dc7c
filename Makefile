# Developer and CI entry points. `make help` lists the targets; docs/delivery.md explains them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go

# Pinned tool versions, installed from the Go module proxy into a per-version directory so that a
# version bump reinstalls. Override GOLANGCI_LINT / ACTIONLINT to use binaries already on PATH.
GOLANGCI_LINT_VERSION ?= v2.15.0
ACTIONLINT_VERSION ?= v1.7.12
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/novacron-platform/tools
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
ACTIONLINT ?= $(TOOLS_DIR)/actionlint-$(ACTIONLINT_VERSION)/actionlint

# preflight: stack to check, output format, optional baseline report for the cost delta.
STACK ?=
FORMAT ?= text
BASELINE ?=

# Packages whose tests define the -update flag (var update = flag.Bool("update", ...)); only
# those accept it, `go test ./... -update` would fail in every other package.
# (The pattern lives in its own variable: make would count its parenthesis inside $(shell).)
GOLDEN_PATTERN := flag\.Bool\([[:space:]]*"update"
GOLDEN_PKGS = $(shell grep -rlE --include='*_test.go' '$(GOLDEN_PATTERN)' . 2>/dev/null \
	| xargs -r -n1 dirname | sort -u)

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

.PHONY: test
test: ## Run every test: go test ./..., then the collector configurations (otelcheck) and the Karpenter objects (karpentercheck).
	$(GO) test ./...
	$(MAKE) otelcheck
	$(MAKE) karpentercheck

.PHONY: otelcheck
otelcheck: ## Check the OpenTelemetry Collector configurations with the collector's own parser (nested module).
	cd internal/otelcheck && $(GO) vet ./... && $(GO) test ./...

.PHONY: karpentercheck
karpentercheck: ## Decode the Karpenter NodePools and EC2NodeClasses strictly into Karpenter's own API types (nested module).
	cd internal/karpentercheck && $(GO) vet ./... && $(GO) test ./...

.PHONY: test-short
test-short: ## Every test but those that start etcd and kube-apiserver: go test -short ./...
	$(GO) test -short ./...

.PHONY: lint
lint: fmt-check vet golangci-lint actionlint ## gofmt check, go vet, golangci-lint, actionlint.

.PHONY: fmt
fmt: ## Rewrite Go files with gofmt.
	gofmt -w .

.PHONY: fmt-check
fmt-check: ## Fail when a Go file is not gofmt-formatted.
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

.PHONY: vet
vet: ## go vet ./...
	$(GO) vet ./...

# Only the pinned binaries under TOOLS_DIR are built here; an override is used as it is.
installed = $(filter $(TOOLS_DIR)/%,$(1))

.PHONY: golangci-lint
golangci-lint: $(call installed,$(GOLANGCI_LINT)) ## golangci-lint with .golangci.yml.
	$(GOLANGCI_LINT) run ./...

.PHONY: actionlint
actionlint: $(call installed,$(ACTIONLINT)) ## actionlint over .github/workflows (runs shellcheck on run: scripts when installed).
	$(ACTIONLINT) -no-color

.PHONY: preflight
preflight: ## Offline preflight of one stack: make preflight STACK=staging [FORMAT=text|markdown|json] [BASELINE=file].
	@if [ -z "$(STACK)" ]; then echo "usage: make preflight STACK=staging|production [FORMAT=text|markdown|json] [BASELINE=file]"; exit 2; fi
	$(GO) run ./cmd/preflight --stack $(STACK) --format $(FORMAT) $(if $(BASELINE),--baseline $(BASELINE))

.PHONY: golden
golden: ## Regenerate golden files (testdata/) in the packages that define -update, then review the diff.
	@if [ -z "$(strip $(GOLDEN_PKGS))" ]; then echo "no package defines -update"; exit 0; fi
	$(GO) test $(GOLDEN_PKGS) -run . -count=1 -update

.PHONY: ci
ci: lint test ## What .ci/run runs: lint, then every test.

.PHONY: tools
tools: $(call installed,$(GOLANGCI_LINT) $(ACTIONLINT)) ## Install the pinned golangci-lint and actionlint.

$(TOOLS_DIR)/golangci-lint-%/golangci-lint:
	GOBIN=$(dir $@) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$*

$(TOOLS_DIR)/actionlint-%/actionlint:
	GOBIN=$(dir $@) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$*
