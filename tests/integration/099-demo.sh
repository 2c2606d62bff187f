#!/bin/bash
# 099-demo.sh - "make demo" as a test: the whole scenario with the real
# binaries, each of its steps counted (demo/demo.sh prints the RESULT).
exec bash "$(dirname "$0")/../../demo/demo.sh"
