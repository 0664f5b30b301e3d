#!/usr/bin/env bash
# Installs llama-cpp-python into the virtualenv $1, compiled so that it runs on this
# machine, before the rest of coder is installed.
#
# pip compiles llama.cpp for the host CPU. Where cpuid reports AMX but the machine does
# not run its tile instructions (some virtual machines), that build dies on its first
# matrix product, so AMX is left out of the build there (amx_probe.c decides). A wheel
# that pip cached from an earlier build with AMX is rebuilt, never reused.
set -euo pipefail
venv="$1"
here="$(cd "$(dirname "$0")" && pwd)"
requirement="$(sed -n 's/^ *"\(llama-cpp-python[^"[]*\)",*$/\1/p' "$here/../pyproject.toml" | head -1)"
: "${requirement:?pyproject.toml names no llama-cpp-python requirement}"

without_amx=no
if [ "$(uname -m)" = x86_64 ]; then
    probe="$(mktemp -d)"
    trap 'rm -rf "$probe"' EXIT
    if ! { ${CC:-cc} -O1 -mamx-tile -o "$probe/amx_probe" "$here/amx_probe.c" 2>/dev/null \
           && sh -c '"$0"; exit $?' "$probe/amx_probe" 2>/dev/null; }; then
        without_amx=yes
        # CMake takes its first C and C++ flags from these; an explicit -mno-* wins over
        # the -march=native that llama.cpp adds.
        amx_off="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
        export CFLAGS="$amx_off ${CFLAGS:-}" CXXFLAGS="$amx_off ${CXXFLAGS:-}"
    fi
fi

built_with_amx() {
    "$venv/bin/python" -I -c 'import sys, llama_cpp; sys.exit(b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info())' 2>/dev/null
}

if "$venv/bin/python" -I -c 'import llama_cpp' 2>/dev/null && ! { [ $without_amx = yes ] && built_with_amx; }; then
    exit 0  # installed, and built the way this machine needs
fi
how=""
[ $without_amx = no ] || how=", without AMX: this machine does not run its instructions"
echo "installing $requirement (compiled from source: a few minutes the first time$how)" >&2
"$venv/bin/pip" install --quiet "$requirement"
if [ $without_amx = yes ] && built_with_amx; then
    # pip reused a wheel cached from a build with AMX: drop it and build again.
    "$venv/bin/pip" cache remove 'llama_cpp_python*' >/dev/null 2>&1 || true
    "$venv/bin/pip" install --quiet --force-reinstall --no-deps "$requirement"
fi
