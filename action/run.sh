#!/usr/bin/env bash
# Entry point of the twgate GitHub Action (action.yml): get a twgate binary (a SHA-256-verified release asset, a
# given binary, or a build from source when asked), run the audit, write the step outputs, and exit with twgate's
# exit code.
#
# Everything arrives through the environment, set by action.yml's `env:` (never interpolated into a script):
#   INPUT_COMMAND            audit (default) or demo
#   INPUT_POLICY             --policy FILE (empty: twgate's default)
#   INPUT_FORMAT             --format for standard output (default github: workflow annotations)
#   INPUT_FAIL_ON            --fail-on new|any|none (empty: twgate's default)
#   INPUT_BASELINE           --baseline FILE (empty: none)
#   INPUT_SARIF_FILE         where to write the SARIF report (empty: $RUNNER_TEMP/twgate/twgate.sarif)
#   INPUT_GITHUB_COMMENT     true: keep the pull request comment current (--github-comment); default false
#   INPUT_VERSION            release to download: a version such as 0.1.0, or latest; default: the action's own
#                            version (its Cargo.toml), so the script and the binary always match
#   INPUT_BUILD_FROM_SOURCE  true: `cargo install --locked` from the action's own checkout instead of downloading
#   GITHUB_TOKEN             handed to twgate only when INPUT_GITHUB_COMMENT is true
#   TWGATE_BIN               a twgate binary to run as it is, with no download (local runs, tests, preinstalled)
#   TWGATE_REPOSITORY        owner/name whose releases hold the binaries (default: read from GITHUB_ACTION_PATH)
# plus what a runner sets: RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_SERVER_URL,
# GITHUB_ACTION_PATH, and for twgate itself GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL.
# Twilio credentials (TWILIO_*) pass through the environment to twgate untouched; they are never inputs.
#
# Exit codes: twgate's own (0 pass, 1 violations, 2 bad invocation, 3 incomplete); this script adds 2 for an input
# it cannot use and 3 when no verified twgate binary could be had (the audit did not run).
#
# Written for bash 3.2 and up (macOS runners may run /bin/bash 3.2): no ${x,,}, ${x^^}, mapfile or assoc arrays.
set -euo pipefail

readonly EXIT_BAD_INPUT=2
readonly EXIT_NOT_RUN=3
readonly CHECKSUMS_ASSET=SHA256SUMS

# Escapes text for the message part of a workflow command (`::error::TEXT`), so that no text can start a command.
escape_command_data() {
  local text=$1
  text=${text//'%'/'%25'}
  text=${text//$'\r'/'%0D'}
  text=${text//$'\n'/'%0A'}
  printf '%s' "$text"
}

# Prints its argument in lowercase.
lowercase() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

# Appends `key=value` to the step's outputs file, when there is one.
write_output() {
  [[ -n ${GITHUB_OUTPUT:-} ]] || return 0
  printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
}

# Reports an error as an annotation and in the job summary, records the exit code as the step output, and exits
# with it.
fail() {
  local code=$1
  shift
  printf '::error title=twgate action::%s\n' "$(escape_command_data "$*")"
  if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    printf '## twgate did not run\n\n%s\n' "$*" >>"$GITHUB_STEP_SUMMARY"
  fi
  write_output exit-code "$code"
  exit "$code"
}

# Prints the Rust target triple of the release binary for a runner's RUNNER_OS and RUNNER_ARCH; fails when the
# release workflow builds none for that platform.
target_triple() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) return 1 ;;
  esac
}

# Prints the release asset name for a target triple: a .zip for Windows, a .tar.gz elsewhere.
asset_name() {
  case "$1" in
    *-windows-*) echo "twgate-$1.zip" ;;
    *) echo "twgate-$1.tar.gz" ;;
  esac
}

# Prints the URL of a release asset: the latest release, or the release tagged v<version>.
release_asset_url() {
  local server=$1 repository=$2 version=$3 asset=$4
  if [[ $version == latest ]]; then
    echo "$server/$repository/releases/latest/download/$asset"
  else
    echo "$server/$repository/releases/download/v${version#v}/$asset"
  fi
}

# Prints the lowercase hex SHA-256 of a file.
sha256_of() {
  local line
  if command -v sha256sum >/dev/null; then
    line=$(sha256sum -- "$1")
  elif command -v shasum >/dev/null; then
    line=$(shasum -a 256 -- "$1")
  else
    echo "neither sha256sum nor shasum is installed" >&2
    return 1
  fi
  lowercase "${line%% *}"
  echo
}

# Succeeds when FILE's SHA-256 is the one CHECKSUMS (sha256sum format: `HASH  NAME` or `HASH *NAME` lines) lists
# for NAME, exactly once; otherwise says why on standard error and fails.
verify_sha256() {
  local file=$1 checksums=$2 name=$3
  local expected matches actual
  matches=$(awk -v name="$name" '{ listed = $2; sub(/^\*/, "", listed); if (NF == 2 && listed == name) print $1 }' "$checksums")
  if [[ -z $matches ]]; then
    echo "$checksums lists no checksum for $name" >&2
    return 1
  fi
  if [[ $matches == *$'\n'* ]]; then
    echo "$checksums lists more than one checksum for $name" >&2
    return 1
  fi
  expected=$(lowercase "$matches")
  if [[ ! $expected =~ ^[0-9a-f]{64}$ ]]; then
    echo "$checksums has a malformed SHA-256 for $name: $expected" >&2
    return 1
  fi
  actual=$(sha256_of "$file") || return 1
  if [[ $actual != "$expected" ]]; then
    echo "SHA-256 mismatch for $name: expected $expected, got $actual" >&2
    return 1
  fi
}

# Prints the owner/name whose releases hold the binaries: TWGATE_REPOSITORY, else the repository the runner
# checked this action out of (GITHUB_ACTION_PATH is .../_actions/OWNER/NAME/REF; github.action_repository is
# empty inside composite actions).
release_repository() {
  local repository=${TWGATE_REPOSITORY:-}
  if [[ -z $repository ]]; then
    local action_path=${GITHUB_ACTION_PATH:-}
    action_path=${action_path//\\//}
    if [[ $action_path =~ /_actions/([^/]+)/([^/]+)/[^/]+/?$ ]]; then
      repository="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
    fi
  fi
  if [[ ! $repository =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    return 1
  fi
  echo "$repository"
}

# Prints the package version in the action's own Cargo.toml (the release its script was written for).
action_version() {
  local manifest="${GITHUB_ACTION_PATH:-}/Cargo.toml"
  [[ -f $manifest ]] || return 1
  awk '/^\[/ { in_package = ($0 == "[package]") } in_package && /^version *= *"/ { split($0, quoted, "\""); print quoted[2]; exit }' "$manifest"
}

# Downloads URL to FILE over HTTPS (file:// for local tests), following redirects only to HTTPS.
download() {
  curl --proto '=https,file' --proto-redir '=https' --fail --silent --show-error --location \
    --retry 3 --retry-connrefused --output "$2" -- "$1"
}

# Unpacks a .tar.gz or .zip ARCHIVE into DIR (unzip, else 7-Zip as on Windows runners).
unpack() {
  case "$1" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -q -o "$1" -d "$2" >&2
      else
        7z x -y "-o$2" "$1" >&2
      fi
      ;;
    *) tar -xzf "$1" -C "$2" ;;
  esac
}

# Downloads, verifies and unpacks the release binary for this runner into DIR; sets TWGATE to the binary's path.
install_release() {
  local dir=$1 version=$2
  local triple asset repository server asset_url checksums_url
  triple=$(target_triple "${RUNNER_OS:-}" "${RUNNER_ARCH:-}") ||
    fail "$EXIT_BAD_INPUT" "no twgate release binary is built for ${RUNNER_OS:-unknown OS} ${RUNNER_ARCH:-unknown architecture}; set the input build-from-source: true to build one with cargo"
  asset=$(asset_name "$triple")
  repository=$(release_repository) ||
    fail "$EXIT_BAD_INPUT" "cannot tell which repository's releases to download twgate from (the action was not checked out by the runner); set TWGATE_REPOSITORY=owner/name in env:"
  server=${GITHUB_SERVER_URL:-https://github.com}
  asset_url=$(release_asset_url "$server" "$repository" "$version" "$asset")
  checksums_url=$(release_asset_url "$server" "$repository" "$version" "$CHECKSUMS_ASSET")

  echo "Downloading $asset_url" >&2
  download "$asset_url" "$dir/$asset" ||
    fail "$EXIT_NOT_RUN" "could not download $asset_url (is there a release $version of $repository? set the input version:, or build-from-source: true)"
  download "$checksums_url" "$dir/$CHECKSUMS_ASSET" || fail "$EXIT_NOT_RUN" "could not download $checksums_url"
  local why
  why=$(verify_sha256 "$dir/$asset" "$dir/$CHECKSUMS_ASSET" "$asset" 2>&1) ||
    fail "$EXIT_NOT_RUN" "refusing to run $asset from $asset_url: $why"
  echo "SHA-256 of $asset matches $checksums_url" >&2

  local binary="twgate"
  [[ $triple == *-windows-* ]] && binary="twgate.exe"
  unpack "$dir/$asset" "$dir" || fail "$EXIT_NOT_RUN" "could not unpack $asset"
  local path="$dir/twgate-$triple/$binary"
  [[ -f $path ]] || fail "$EXIT_NOT_RUN" "$asset holds no twgate-$triple/$binary"
  chmod +x "$path"
  TWGATE=$path
}

# Builds twgate from the action's own checkout with the lock file; sets TWGATE to the binary's path.
build_from_source() {
  local dir=$1
  [[ -n ${GITHUB_ACTION_PATH:-} ]] || fail "$EXIT_BAD_INPUT" "build-from-source needs GITHUB_ACTION_PATH (the action's checkout)"
  command -v cargo >/dev/null || fail "$EXIT_BAD_INPUT" "build-from-source needs cargo on the runner"
  echo "Building twgate from $GITHUB_ACTION_PATH with cargo install --locked" >&2
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$dir/cargo" >&2 ||
    fail "$EXIT_NOT_RUN" "cargo install of twgate failed"
  TWGATE="$dir/cargo/bin/twgate"
  [[ ${RUNNER_OS:-} == Windows ]] && TWGATE="$TWGATE.exe"
  return 0
}

# Sets TWGATE to the twgate binary to run: TWGATE_BIN, a build from source, or the verified release asset.
# (A global, not printed: a failure's annotation must reach the log, not a command substitution.)
resolve_twgate() {
  local dir=$1
  if [[ -n ${TWGATE_BIN:-} ]]; then
    [[ -x $TWGATE_BIN ]] || fail "$EXIT_BAD_INPUT" "TWGATE_BIN is not an executable file: $TWGATE_BIN"
    TWGATE=$TWGATE_BIN
  elif [[ $BUILD_FROM_SOURCE == true ]]; then
    build_from_source "$dir"
  else
    install_release "$dir" "$VERSION"
  fi
}

# Prints a boolean input as true or false (empty is false); fails on anything else.
boolean_input() {
  case "$(lowercase "$1")" in
    true) echo true ;;
    false | '') echo false ;;
    *) return 1 ;;
  esac
}

# Fails when a path input holds a line break, which would corrupt the outputs file.
single_line_input() {
  [[ $2 != *$'\n'* && $2 != *$'\r'* ]] || fail "$EXIT_BAD_INPUT" "input $1 must be one line"
}

main() {
  local command=${INPUT_COMMAND:-audit}
  case "$command" in
    audit | demo) ;;
    *) fail "$EXIT_BAD_INPUT" "input command must be audit or demo, not: $command" ;;
  esac
  BUILD_FROM_SOURCE=$(boolean_input "${INPUT_BUILD_FROM_SOURCE:-}") ||
    fail "$EXIT_BAD_INPUT" "input build-from-source must be true or false, not: $INPUT_BUILD_FROM_SOURCE"
  VERSION=${INPUT_VERSION:-}
  if [[ -z $VERSION && -z ${TWGATE_BIN:-} && $BUILD_FROM_SOURCE != true ]]; then
    VERSION=$(action_version) || true
    [[ -n $VERSION ]] ||
      fail "$EXIT_BAD_INPUT" "input version is empty and no version was found in ${GITHUB_ACTION_PATH:-GITHUB_ACTION_PATH (unset)}/Cargo.toml; set version: to a release such as 0.1.0"
  fi
  if [[ -n $VERSION && ! $VERSION =~ ^(latest|v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]]; then
    fail "$EXIT_BAD_INPUT" "input version must be latest or a version such as 0.1.0, not: $VERSION"
  fi
  local comment
  comment=$(boolean_input "${INPUT_GITHUB_COMMENT:-}") ||
    fail "$EXIT_BAD_INPUT" "input github-comment must be true or false, not: $INPUT_GITHUB_COMMENT"
  local input
  for input in policy baseline sarif-file; do
    local variable
    variable="INPUT_$(printf '%s' "${input//-/_}" | tr '[:lower:]' '[:upper:]')"
    single_line_input "$input" "${!variable:-}"
  done

  local temp=${RUNNER_TEMP:-}
  [[ -n $temp ]] || temp=$(mktemp -d)
  if [[ ${RUNNER_OS:-} == Windows ]] && command -v cygpath >/dev/null; then
    temp=$(cygpath -m "$temp") # D:/a/_temp: one form that bash, twgate.exe and later steps all read
  fi
  local work
  work=$(mktemp -d "$temp/twgate.XXXXXX") # this run's own: no report of an earlier step is mistaken for its own
  local install_dir="$work/bin"
  mkdir "$install_dir"

  echo "::group::Install twgate"
  resolve_twgate "$install_dir"
  "$TWGATE" --version
  echo "::endgroup::"

  local sarif=${INPUT_SARIF_FILE:-$work/twgate.sarif}
  local report="$work/twgate-report.json"
  local twgate_outputs="$work/twgate-outputs"
  : >"$twgate_outputs"
  rm -f -- "$sarif"

  local args=("$command" --format "${INPUT_FORMAT:-github}" --sarif "$sarif" --json "$report")
  [[ -n ${INPUT_POLICY:-} ]] && args+=(--policy "$INPUT_POLICY")
  [[ -n ${INPUT_FAIL_ON:-} ]] && args+=(--fail-on "$INPUT_FAIL_ON")
  [[ -n ${INPUT_BASELINE:-} ]] && args+=(--baseline "$INPUT_BASELINE")
  if [[ $comment == true ]]; then
    args+=(--github-comment)
  else
    unset GITHUB_TOKEN # the token goes only to the feature that needs it
  fi

  local code=0
  GITHUB_OUTPUT="$twgate_outputs" "$TWGATE" "${args[@]}" || code=$?

  write_output exit-code "$code"
  write_output violations "$(output_value violations "$twgate_outputs")"
  write_output new-violations "$(output_value new-violations "$twgate_outputs")"
  [[ -f $sarif ]] && write_output sarif-file "$sarif"
  [[ -f $report ]] && write_output report "$report"
  exit "$code"
}

# Prints the last `key=N` count twgate wrote to its outputs file (nothing when it wrote none).
output_value() {
  sed -n "s/^$1=\([0-9][0-9]*\)\$/\1/p" "$2" | tail -n 1
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
