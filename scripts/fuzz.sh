#!/usr/bin/env bash
# Coverage-guided fuzzing of the native engine with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   build, replay regressions, fuzz (default 60 s, all)
#   scripts/fuzz.sh --build-only                       build the targets into build/fuzz/ and stop
#   scripts/fuzz.sh --regenerate-corpus                rebuild native/fuzz/corpus/ from the engine
#
# Targets: fuzz_signature fuzz_patch fuzz_header fuzz_roundtrip (sources in native/fuzz/).
# Each target first replays native/fuzz/regressions/<target>/ (inputs that once failed), then
# fuzzes with build/fuzz/<target>-corpus (new units are written there, never into the repo) plus
# the committed seeds in native/fuzz/corpus/<target>/. Failing inputs land in
# build/fuzz/artifacts/<target>/. Exits non-zero if any target crashed, leaked, timed out, ran
# out of memory or failed a regression; the summary says which.
#
# Environment: FUZZ_CXX (default clang++, must be clang), FUZZ_EXTRA_FLAGS (more libFuzzer flags, e.g.
# "-jobs=2 -workers=2"), FUZZ_NICE (e.g. 19: run the fuzzers under nice). See native/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(fuzz_signature fuzz_patch fuzz_header fuzz_roundtrip)
OUT=build/fuzz
CXX=${FUZZ_CXX:-clang++}  # not $CXX: a global CXX=g++ must not break this

die() { echo "fuzz.sh: $*" >&2; exit 2; }

mode=run
case "${1:-}" in
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --build-only) mode=build; shift ;;
  --regenerate-corpus) mode=corpus; shift ;;
esac

seconds=60
if [[ $mode == run && $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (known: ${ALL_TARGETS[*]})"
done

# --- toolchain -------------------------------------------------------------------------------
command -v "$CXX" >/dev/null 2>&1 ||
  die "$CXX not found: libFuzzer needs clang (Debian: apt-get install clang libclang-rt-14-dev)"
"$CXX" --version 2>/dev/null | grep -qi clang || die "$CXX is not clang; libFuzzer needs clang (set FUZZ_CXX=clang++)"
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe_dir/p.cc"
"$CXX" -fsanitize=fuzzer,address,undefined "$probe_dir/p.cc" -o "$probe_dir/p" >"$probe_dir/log" 2>&1 || {
  cat "$probe_dir/log" >&2
  die "$CXX cannot link -fsanitize=fuzzer,address,undefined (Debian: apt-get install libclang-rt-14-dev)"
}

# --- build -----------------------------------------------------------------------------------
# The engine sources are CMakeLists.txt's ENGINE_SOURCES less the file I/O layer (file_io,
# file_jobs, file_batch, hash_file, scan_folder), which the targets do not use; the fixed list below is the fallback if
# that block cannot be read.
engine_sources() {
  local listed
  listed=$(sed -n '/^set(ENGINE_SOURCES/,/)/p' CMakeLists.txt 2>/dev/null | tr ' ()' '\n\n\n' |
    grep -E '^native/[a-z0-9_]+\.cc$' | grep -vE '^native/(file_io|file_jobs|file_batch|hash_file|scan_folder)\.cc$' || true)
  if [[ -z $listed ]]; then
    listed=$(printf 'native/%s.cc\n' errors format params hash_md4 hash_blake2b hash_xxh3 hash_blake3 \
      strong_sum signature signature_index delta_encoder delta patch)
  fi
  echo "$listed"
}

FLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -Inative -Inative/fuzz)

build() {
  mkdir -p "$OUT/obj"
  local objs=() src obj headers_newest
  # Any header change rebuilds everything (the engine has few files; this keeps the rule simple).
  headers_newest=$(ls -t native/*.h native/fuzz/*.h 2>/dev/null | head -1)
  for src in $(engine_sources); do
    obj="$OUT/obj/$(basename "${src%.cc}").o"
    if [[ ! -f $obj || $src -nt $obj || $headers_newest -nt $obj ]]; then
      echo "  compile $src"
      "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    fi
    objs+=("$obj")
  done
  local t
  for t in "${ALL_TARGETS[@]}"; do
    local bin="$OUT/$t" newer=0 o
    [[ -f $bin && ! native/fuzz/$t.cc -nt $bin && ! $headers_newest -nt $bin ]] || newer=1
    for o in "${objs[@]}"; do [[ $o -nt $bin ]] && newer=1; done
    if ((newer)); then
      echo "  link $bin"
      "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer "native/fuzz/$t.cc" "${objs[@]}" -o "$bin"
    fi
  done
}

mkdir -p "$OUT"
echo "== building fuzz targets into $OUT/ with $("$CXX" --version | head -1)"
# Two runs of this script may share build/fuzz: the build is serialised by a lock.
exec 9>"$OUT/.build.lock"
flock 9 2>/dev/null || true
build
flock -u 9 2>/dev/null || true

if [[ $mode == build ]]; then exit 0; fi

if [[ $mode == corpus ]]; then
  # Seeds from the engine itself (all targets), then, when the tools are here, from rdiff and
  # from the CLI: the same fixed data, signed and diffed by other code paths.
  "$CXX" "${FLAGS[@]}" native/fuzz/make_corpus.cc "$OUT"/obj/*.o -o "$OUT/make_corpus"
  data="$OUT/data"
  mkdir -p "$data"
  "$OUT/make_corpus" native/fuzz/corpus "$data"
  seed_byte() { printf "\\x$(printf %02x "$1")" >>"$2"; }
  if command -v rdiff >/dev/null 2>&1; then
    i=0
    for opts in "-b 64 -S 8 -H md4 -R rollsum" "-b 16 -S -1 -H blake2 -R rabinkarp" "-b 256 -H blake2 -R rollsum" \
      "-b 64 -H md4 -R rabinkarp"; do
      tag=$(echo "$opts" | tr -d ' ')
      rm -f "native/fuzz/corpus/fuzz_signature/rdiff$tag" "native/fuzz/corpus/fuzz_patch/rdiff$tag" "$data/rdiff.sig"
      # shellcheck disable=SC2086
      rdiff signature $opts "$data/new_file.bin" "native/fuzz/corpus/fuzz_signature/rdiff$tag"
      # shellcheck disable=SC2086
      rdiff signature $opts "$data/basis.bin" "$data/rdiff.sig"
      rdiff delta "$data/rdiff.sig" "$data/inserted.bin" "native/fuzz/corpus/fuzz_patch/rdiff$tag"
      seed_byte $((i * 71 + 5)) "native/fuzz/corpus/fuzz_patch/rdiff$tag"
      i=$((i + 1))
    done
  else
    echo "fuzz.sh: rdiff not found; skipping its seeds" >&2
  fi
  if node bin/deltanode.js --version >/dev/null 2>&1; then
    i=0
    for opts in "-b 16 -S 8 -H xxh3" "-b 64 -S -1 -H blake2 -R rollsum" "-b 256 -H md4 -R rabinkarp" \
      "-b 32 -H xxh3 --digest blake3"; do
      tag=$(echo "$opts" | tr -d ' ')
      # shellcheck disable=SC2086
      node bin/deltanode.js signature -f $opts "$data/new_file.bin" "native/fuzz/corpus/fuzz_signature/cli$tag"
      # shellcheck disable=SC2086
      node bin/deltanode.js signature -f $opts "$data/basis.bin" "$data/cli.sig"
      node bin/deltanode.js delta -f "$data/cli.sig" "$data/inserted.bin" "native/fuzz/corpus/fuzz_patch/cli$tag"
      seed_byte $((i * 53 + 200)) "native/fuzz/corpus/fuzz_patch/cli$tag"
      i=$((i + 1))
    done
  else
    echo "fuzz.sh: the CLI does not run (addon not built?); skipping its seeds" >&2
  fi
  du -sh native/fuzz/corpus
  exit 0
fi

# --- run -------------------------------------------------------------------------------------
max_len_for() {
  case $1 in
    fuzz_header) echo 2048 ;;
    fuzz_roundtrip) echo 12288 ;;
    *) echo 20480 ;;
  esac
}

# Stacks for UBSan reports; leaks are reported by default (ASan's LeakSanitizer).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
nice_cmd=()
[[ -n ${FUZZ_NICE:-} ]] && nice_cmd=(nice -n "$FUZZ_NICE")
dict=native/fuzz/dict/deltanode.dict

classify() {  # log file -> short reason
  local log=$1
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then echo timeout
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then echo leak
  elif grep -qE 'ERROR: libFuzzer: (out-of-memory|malloc limit)' "$log"; then echo out-of-memory
  elif grep -q 'FUZZ INVARIANT VIOLATED' "$log"; then echo "invariant: $(grep -m1 'FUZZ INVARIANT VIOLATED' "$log" | sed 's/.*VIOLATED: //')"
  elif grep -q 'runtime error:' "$log"; then echo "undefined behaviour: $(grep -m1 'runtime error:' "$log" | sed 's/.*runtime error: //')"
  elif grep -q 'ERROR: AddressSanitizer' "$log"; then echo "asan: $(grep -m1 'ERROR: AddressSanitizer' "$log" | sed 's/.*AddressSanitizer: //' | cut -c1-80)"
  elif grep -q 'uncaught exception\|terminate called' "$log"; then echo "uncaught exception"
  elif grep -q 'deadly signal' "$log"; then echo crash
  else echo "failed"
  fi
}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$OUT/$t"
  corpus="$OUT/$t-corpus"
  seeds=native/fuzz/corpus/$t
  regressions=native/fuzz/regressions/$t
  artifacts="$OUT/artifacts/$t/"
  log="$OUT/$t.log"
  mkdir -p "$corpus" "$artifacts" "$seeds"
  common=(-rss_limit_mb=2048 -timeout=10 "-artifact_prefix=$artifacts")

  # Replay the saved failures first: each must now run cleanly.
  if compgen -G "$regressions/*" >/dev/null; then
    echo "== $t: replaying $(ls "$regressions" | wc -l) regression input(s)"
    if ! "${nice_cmd[@]}" "$bin" "${common[@]}" "$regressions"/* >"$OUT/$t-regressions.log" 2>&1; then
      reason=$(classify "$OUT/$t-regressions.log")
      echo "!! $t: a regression input fails again ($reason); see $OUT/$t-regressions.log"
      tail -n 40 "$OUT/$t-regressions.log"
      summary+=("$(printf '%-16s REGRESSION FAILED (%s)' "$t" "$reason")")
      failed=1
      # Fuzz anyway: other bugs may hide behind this one (the fuzzer may well hit it again).
    fi
  fi

  echo "== $t: fuzzing for ${seconds}s (log: $log)"
  extra=()
  [[ -f $dict ]] && extra+=("-dict=$dict")
  # shellcheck disable=SC2206
  [[ -n ${FUZZ_EXTRA_FLAGS:-} ]] && extra+=($FUZZ_EXTRA_FLAGS)
  set +e
  "${nice_cmd[@]}" "$bin" "${common[@]}" -max_total_time="$seconds" -max_len="$(max_len_for "$t")" \
    -print_final_stats=1 "${extra[@]}" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -m1 '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
  [[ -z $execs ]] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  rate=$(grep -m1 '^stat::average_exec_per_sec:' "$log" | awk '{print $2}')
  rss=$(grep -m1 '^stat::peak_rss_mb:' "$log" | awk '{print $2}')
  units=$(ls "$corpus" | wc -l)
  if ((rc == 0)); then
    result=ok
  else
    result="FAILED ($(classify "$log"))"
    failed=1
    echo "!! $t failed; the input is in $artifacts"
    grep -m1 -B2 -A30 -E '==ERROR|runtime error|FUZZ INVARIANT|ERROR: libFuzzer' "$log" || tail -n 40 "$log"
  fi
  line=$(printf '%-16s %-40s execs=%s exec/s=%s peak_rss_mb=%s corpus=%s' "$t" "$result" "${execs:-?}" \
    "${rate:-?}" "${rss:-?}" "$units")
  echo "$line"
  summary+=("$line")
done

echo
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
