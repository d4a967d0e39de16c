#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# perl under LD_PRELOAD of libkslab.so: see programs.sh
exec bash "$(dirname "$0")/programs.sh" perl
