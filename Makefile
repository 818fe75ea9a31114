# keytrail — see README.md. Every target installs what it needs into ./bin.

GO        ?= go
BIN       := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export GOBIN := $(BIN)

VERSITYGW_VERSION   := v1.8.0
STATICCHECK_VERSION := v0.8.2
# local-kms: a KMS emulator for the inventory's tests (KEYTRAIL_LOCAL_KMS)
LOCAL_KMS_VERSION   := v0.0.0-20260228092603-2a5e92d09ab6

.PHONY: all build test bench lint demo package tools clean

all: build

## build: the keytrail CLI into ./bin, its --version from git describe
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
build:
	$(GO) build -buildvcs=auto -ldflags "-X main.version=$(VERSION)" -o $(BIN)/keytrail ./cmd/keytrail

## tools: test dependencies (a local S3 server, a local KMS, the Trino SQL parser)
tools: $(BIN)/versitygw $(BIN)/local-kms
	@scripts/ensure-sqlglot

$(BIN)/versitygw:
	$(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(BIN)/local-kms:
	$(GO) install github.com/nsmithuk/local-kms@$(LOCAL_KMS_VERSION)

$(BIN)/staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## test: every test, with the services they need started by the tests
## (no test may reach AWS: the instance metadata service is off for them)
test: tools
	AWS_EC2_METADATA_DISABLED=true $(GO) test -count=1 -timeout 25m ./...
	@# The record splitter again without its vector kernels, then with the
	@# arm64 one (the Lambda functions' architecture) under emulation.
	$(GO) test -count=1 -tags purego ./internal/cloudtrail/
	@if command -v qemu-aarch64 >/dev/null; then \
		echo "GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 ./internal/cloudtrail/"; \
		GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 ./internal/cloudtrail/; \
	else \
		echo "qemu-aarch64 not found: the arm64 splitter kernel is not tested here (Debian: apt-get install qemu-user)"; \
	fi

## bench: throughput and memory benchmarks (see README, Performance)
bench: build tools
	$(BIN)/keytrail bench --out $(CURDIR)/bench-output
	$(GO) test -run '^$$' -bench 'Ingest|LambdaS3' -benchtime 3x ./ingest/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./detect/
	$(GO) test -run '^$$' -bench E2E -benchtime 1x ./internal/e2e/
	$(GO) test -run '^$$' -bench 'Query' -benchtime 1x -timeout 30m ./queries/scan/

## lint: gofmt, go vet, go mod tidy, staticcheck, and every SQL file parsed as Trino
lint: $(BIN)/staticcheck tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(BIN)/staticcheck ./...
	@py=$$(scripts/ensure-sqlglot --print); $$py scripts/sqlcheck.py queries/ddl/*.sql queries/library/*.sql queries/fragments/*.sql review/*.sql

## demo: the whole pipeline on a generated organization, in ./demo-output
DEMO_OUT ?= $(CURDIR)/demo-output
demo: build
	$(BIN)/keytrail demo --out $(DEMO_OUT)

## package: the Lambda zips (dist/lambda/*), for deployments that upload zips themselves
package:
	scripts/package-lambdas

## build-<Function>: sam build's targets (infra/template.yaml, BuildMethod makefile):
## the function's bootstrap into $(ARTIFACTS_DIR), built as package builds it
SAM_FUNCTIONS := IngestFunction CompactFunction DetectFunction AlertFunction InventoryFunction
.PHONY: $(addprefix build-,$(SAM_FUNCTIONS))
$(addprefix build-,$(SAM_FUNCTIONS)): build-%Function:
	scripts/package-lambdas -o "$(ARTIFACTS_DIR)" $(shell echo $* | tr A-Z a-z)

clean:
	rm -rf $(BIN) demo-output dist bench-output
