# Shared by the ci/ scripts: package installation and the project root.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The Debian packages every build of this project needs.
BUILD_PACKAGES=(cmake ninja-build pkg-config clang-14 libclang-rt-14-dev llvm-14
  libgtest-dev librapidcheck-dev libbenchmark-dev liblz4-dev libzstd-dev nlohmann-json3-dev
  python3 python3-yaml)

# What the OSS-Fuzz emulation and the AFL++ engine need besides: AFL++, libc++ (OSS-Fuzz
# builds with -stdlib=libc++) and zip for the seed corpora.
OSS_FUZZ_PACKAGES=(afl++ libc++-14-dev libc++abi-14-dev zip unzip binutils)

# Installs whichever of the given Debian packages are missing.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y "${missing[@]}" ||
    { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "${missing[@]}"; }
}

# Configures (once) and builds a preset; extra arguments go to cmake --build.
build_preset() {
  local preset=$1
  shift
  [ -f "$ROOT/build/$preset/build.ninja" ] || cmake --preset "$preset" -S "$ROOT" >/dev/null
  cmake --build --preset "$preset" "$@"
}

# The fuzz targets: one per fuzz/*.cpp but the replay main.
fuzz_targets() {
  local src
  for src in "$ROOT"/fuzz/*.cpp; do
    src=$(basename "$src" .cpp)
    [ "$src" = replay_main ] || echo "$src"
  done
}

# The input cap of a target, or nothing. Sequential programs: 512 bytes is 56
# operations, several times what any reproducer so far needs, and keeps runs short;
# race programs need room for their schedule.
fuzz_max_len() {
  case $1 in zbud_diff|zswap_diff) echo 512 ;; esac
}

# What afl-fuzz needs on a shared CI machine: no screen, no CPU frequency or core-dump
# checks (they need settings of the host), no binding to a core another run holds.
export_afl_settings() {
  export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
}
