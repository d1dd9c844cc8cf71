# Sourced by build.sh and fuzz.sh: compile through ccache when it is installed, so a fresh clone
# (as CI makes) reuses what earlier builds of the same sources compiled. Paths are taken relative
# to the clone and the build directory is left out of the hash, so two clones share entries.
# Sets cache_args for cmake's configure step; empty without ccache.
cache_args=()
if command -v ccache >/dev/null 2>&1; then
    export CCACHE_BASEDIR="$PWD"
    export CCACHE_NOHASHDIR=true
    cache_args=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
