#!/bin/sh
exec /usr/bin/python3 "$(dirname "$0")/console_shim.py" producer "$@"
