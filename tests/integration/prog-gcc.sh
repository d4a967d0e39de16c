#!/bin/bash
# gcc under LD_PRELOAD of libkslab.so: see programs.sh
exec bash "$(dirname "$0")/programs.sh" gcc
