#!/usr/bin/env bash
# CI for the TypeScript client: install the locked dev dependencies, build, run node's test runner.
# The tests start the real service with the repository's venv (../../.venv), which .ci/run creates first.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm test
