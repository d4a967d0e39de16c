#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# fast.sh - make check's slice of tests/compat/run.sh (CPython's dict,
# list, set and json tests; redis's data under redis-benchmark).
exec bash "${srcdir:-.}/tests/compat/run.sh" --fast "$@"
