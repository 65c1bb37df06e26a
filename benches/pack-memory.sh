#!/usr/bin/env bash
# Peak memory of `mrm pack` and `mrm verify` against the size of the evidence.
#
#   bash benches/pack-memory.sh [MRM_BINARY]
#
# Builds the release binary unless one is given, then measures peak RSS with GNU time
# (`/usr/bin/time -v`) on:
#   1. pack of a small repository (two models, a few bytes of evidence): the baseline;
#   2. pack of the same repository with 2 GiB of evidence (two sparse 1 GiB files);
#   3. pack of the same repository with one 4 GiB evidence file, giving a pack of a few MB;
#   4. verify of the baseline pack;
#   5. verify of the 4 GiB pack (every byte of the 4 GiB entry is inflated and hashed);
#   6. verify of a hostile pack: the small pack plus a 4 GiB zero entry the manifest does not
#      list (reported, not hashed).
# Sparse files cost no disk; the packs are written to a temporary directory and removed.
# Each figure is printed with its ratio to the baseline of the same command from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ge 1 ]]; then
  mrm=$(realpath "$1")
else
  cargo build --release --quiet
  mrm=$PWD/target/release/mrm
fi
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (Debian package 'time')" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
policy=$PWD/tests/fixtures/pack/policy.mrm

# The two-model repository of tests/pack.rs.
small_repo() {
  local root=$1
  mkdir -p "$root/models/a/reports" "$root/models/b"
  cat >"$root/models/a/model.toml" <<'TOML'
[model]
id = "a"
name = "Alpha, the scorer"
status = "production"
[roles]
owner = "ann"
validator = "vic"
[impact]
financial_exposure = 20_000_000
[validation]
date = 2026-06-01
report = "reports/validation.pdf"
TOML
  printf '# Alpha\n' >"$root/models/a/model-card.md"
  printf '%%PDF-1.4 validation of a\n' >"$root/models/a/reports/validation.pdf"
  cat >"$root/models/b/model.toml" <<'TOML'
[model]
id = "b"
name = "Beta"
[roles]
owner = ""
[impact]
financial_exposure = 5
TOML
}

# peak KiB and seconds of a command (its exit code may be 0 or 1).
measure() {
  local log=$work/time.log
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || [[ $? -le 1 ]]
  local kib secs
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  echo "$kib $secs"
}

report() {
  local name=$1 kib=$2 secs=$3 base=$4
  awk -v n="$name" -v k="$kib" -v s="$secs" -v b="$base" \
    'BEGIN { printf "%-44s %8.1f MiB  %6.2fx baseline  (%s)\n", n, k/1024, k/b, s }'
}

pack() {
  "$mrm" pack "$1" --policy "$policy" --as-of 2026-11-27 --out "$2" --force
}

small=$work/small
small_repo "$small"
two=$work/two-gib
small_repo "$two"
truncate -s 1G "$two/models/a/reports/validation.pdf"
truncate -s 1G "$two/models/a/model-card.md"
four=$work/four-gib
small_repo "$four"
truncate -s 4G "$four/models/a/reports/validation.pdf"

read -r base_pack_kib s < <(measure "$mrm" pack "$small" --policy "$policy" --as-of 2026-11-27 --out "$work/small.tar.gz")
report "pack, baseline (a few bytes of evidence)" "$base_pack_kib" "$s" "$base_pack_kib"
read -r kib s < <(measure "$mrm" pack "$two" --policy "$policy" --as-of 2026-11-27 --out "$work/two.tar.gz")
report "pack, 2 GiB of evidence" "$kib" "$s" "$base_pack_kib"
read -r kib s < <(measure "$mrm" pack "$four" --policy "$policy" --as-of 2026-11-27 --out "$work/four.tar.gz")
report "pack, one 4 GiB evidence file" "$kib" "$s" "$base_pack_kib"
echo "  (the 4 GiB pack is $(du -k "$work/four.tar.gz" | cut -f1) KiB)"

read -r base_verify_kib s < <(measure "$mrm" verify "$work/small.tar.gz")
report "verify, baseline pack" "$base_verify_kib" "$s" "$base_verify_kib"
read -r kib s < <(measure "$mrm" verify "$work/four.tar.gz")
report "verify, pack with a 4 GiB entry" "$kib" "$s" "$base_verify_kib"
"$mrm" verify "$work/four.tar.gz" | tail -2 | sed 's/^/  /'

# The small pack with a 4 GiB entry of zeros appended that the manifest does not list.
mkdir "$work/x"
tar -xzf "$work/small.tar.gz" -C "$work/x"
truncate -s 4G "$work/x/evidence/zero.bin"
(cd "$work/x" && tar --sort=name -cf - manifest.json $(ls | grep -v '^manifest.json$') | gzip -1 >"$work/hostile.tar.gz")
rm -rf "$work/x"
echo "  (the hostile pack is $(du -k "$work/hostile.tar.gz" | cut -f1) KiB)"
read -r kib s < <(measure "$mrm" verify "$work/hostile.tar.gz")
report "verify, unlisted 4 GiB zero entry" "$kib" "$s" "$base_verify_kib"
"$mrm" verify "$work/hostile.tar.gz" | grep -E '^(extra|not intact)' | sed 's/^/  /' || true
