#!/bin/sh
greet "${1:-world}"
