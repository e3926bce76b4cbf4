#!/usr/bin/env bash
# Runs the README as a newcomer would: starts `bash Deploy/run.sh` with a fresh .gongzhi-dev/ (so that the first
# start loads the sample community), waits until it says the host is running, runs every shell block of the
# README's section "Using the host" (and its subsections) in order in one bash, then presses Ctrl-C (SIGINT to
# run.sh's process group, as a terminal does) and checks that no host, plugin, gongzhictl, Mosquitto broker or
# simulated sensor of this checkout is left. The commands are read from README.md itself, so the text and the test
# cannot drift apart.
# Deploy/test.sh runs it after the Swift tests.
#
#   Deploy/readme-check.sh                  the whole check; exits 0 when every command did what the README says
#   Deploy/readme-check.sh --list           print the commands and what is expected of each; start nothing
#   Deploy/readme-check.sh --readme FILE    take the walkthroughs from FILE instead of README.md
#
# For whoever edits the README:
# - Every command in a ```sh block from "## Using the host" up to the next "## " heading runs from the checkout's
#   root, in the README's order, in one bash (variables set by one command reach the next), with pipefail, and
#   must exit 0. A command is a line, with the lines it continues with a trailing \, and a heredoc's body.
#   Write commands that run as they stand: no placeholders; take an id from an earlier command's output.
# - What differs for a command is said in an HTML comment just before its block (GitHub does not show it). The
#   comment names the command by a piece of its text in backticks, which must occur in exactly one command of
#   the block, followed by one or more clauses:
#       <!-- readme-check: `grid verify "$id" --as 胡伟` exits 1 -->     it must fail with that status
#       <!-- readme-check: `audit verify` prints `intact` -->           its output (stdout and stderr together)
#                                                                       must match this extended regex (grep -E)
#       <!-- readme-check: `watch residents` runs until Ctrl-C -->      it must still be running after
#                                                                       README_CHECK_FOLLOW_SECONDS, and stop on
#                                                                       the SIGINT it then gets
#       <!-- readme-check: `grid verify "$id" --as 胡伟` exits 1, prints `cannot` -->   clauses combine
#       <!-- readme-check: skip -->                                     the next block is not run
#   One directive per comment, as many comments as needed. A directive that names no command of the next
#   block, or more than one, fails the check: rename it when you change the command.
# - Files the commands write into the checkout's top folder (readings.json, r.yaml, ...) are removed afterwards.
#
# An existing .gongzhi-dev/ is moved aside to .gongzhi-dev.before-readme-check/ for the run and put back
# afterwards; the check refuses to start while a host or plugin of this checkout is running.
#
# Environment: README_CHECK_START_SECONDS (3600: build, first start and sample load), README_CHECK_WALK_SECONDS
# (900: all the commands together), README_CHECK_FOLLOW_SECONDS (3), README_CHECK_STOP_SECONDS (60: from
# Ctrl-C until nothing of the host is left).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

readme="$root/README.md"
list_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --list) list_only=1; shift ;;
        --readme)
            [ $# -ge 2 ] || { echo "readme-check: --readme needs a file" >&2; exit 2; }
            readme="$2"
            shift 2
            ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "readme-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -f "$readme" ] || { echo "readme-check: no README at $readme" >&2; exit 2; }

whole_seconds() {
    local name="$1" default="$2" value
    value="${!name:-$default}"
    if ! [[ "$value" =~ ^[0-9]{1,6}$ ]] || [ "$((10#$value))" -lt 1 ]; then
        echo "readme-check: $name must be a whole number of seconds from 1, not '$value'" >&2
        exit 2
    fi
    echo "$((10#$value))"
}
start_seconds="$(whole_seconds README_CHECK_START_SECONDS 3600)"
walk_seconds="$(whole_seconds README_CHECK_WALK_SECONDS 900)"
follow_seconds="$(whole_seconds README_CHECK_FOLLOW_SECONDS 3)"
stop_seconds="$(whole_seconds README_CHECK_STOP_SECONDS 60)"

work="$(mktemp -d "${TMPDIR:-/tmp}/readme-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
commands="$work/commands"
mkdir -p "$commands"

# The README's patterns, kept in variables so that bash passes them to the regex matcher as they are.
fence_sh='^```(sh|bash|shell)[[:space:]]*$'
fence_other='^```'
fence_end='^```[[:space:]]*$'
directive_pattern='^<!--[[:space:]]*readme-check:[[:space:]]*(.*[^[:space:]])[[:space:]]*-->[[:space:]]*$'
continued_pattern='\\$'
heredoc_pattern="(^|[^<])<<-?[[:space:]]*['\"]?([A-Za-z_][A-Za-z0-9_]*)"
named_pattern='^`([^`]+)`[[:space:]]+(.+)$'
exits_clause='^exits[[:space:]]+([0-9]{1,3})[[:space:]]*(,[[:space:]]*(.*))?$'
prints_clause='^prints[[:space:]]+`([^`]+)`[[:space:]]*(,[[:space:]]*(.*))?$'
follows_clause='^runs[[:space:]]+until[[:space:]]+Ctrl-C[[:space:]]*(,[[:space:]]*(.*))?$'

# --- Reading the README -------------------------------------------------------------------------------------
#
# Each command becomes $commands/N.sh (its text), N.line (where it starts in the README), N.exit (the status
# it must end with), N.follow (1 when it runs until Ctrl-C) and N.prints (regexes its output must match, one
# a line).

fail_readme() {
    echo "readme-check: $(basename "$readme"):$1: $2" >&2
    exit 1
}

count=0
block_first=0         # the number of the first command of the block being read
directives=()         # directives waiting for the next block, as "LINE<TAB>TEXT"
directive_skip=0

# Splits a block (its lines in block_lines, starting at README line block_start) into commands.
split_block() {
    local index=0 line current="" current_line=0 heredoc="" number
    block_first=$((count + 1))
    for line in "${block_lines[@]}"; do
        number=$((block_start + index))
        index=$((index + 1))
        if [ -n "$heredoc" ]; then
            current+=$'\n'"$line"
            if [ "$line" = "$heredoc" ] || [ "${line#"${line%%[!$'\t']*}"}" = "$heredoc" ]; then
                heredoc=""
                add_command "$current" "$current_line"
                current=""
            fi
            continue
        fi
        if [ -z "$current" ]; then
            # Blank lines and comments between commands are not commands.
            if [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]]; then continue; fi
            current="$line"
            current_line=$number
        else
            current+=$'\n'"$line"
        fi
        if [[ "$line" =~ $heredoc_pattern ]]; then
            heredoc="${BASH_REMATCH[2]}"
            continue
        fi
        if [[ "$line" =~ $continued_pattern ]]; then continue; fi
        add_command "$current" "$current_line"
        current=""
    done
    if [ -n "$heredoc" ]; then fail_readme "$current_line" "the heredoc ends with no line '$heredoc'"; fi
    if [ -n "$current" ]; then fail_readme "$current_line" "the block ends inside a command continued with \\"; fi
}

add_command() {
    count=$((count + 1))
    printf '%s\n' "$1" >"$commands/$count.sh"
    echo "$2" >"$commands/$count.line"
    echo 0 >"$commands/$count.exit"
    echo 0 >"$commands/$count.follow"
    : >"$commands/$count.prints"
}

# Applies one directive ("LINE<TAB>TEXT") to the commands of the block just read.
apply_directive() {
    local line="${1%%$'\t'*}" text="${1#*$'\t'}" fragment rest matches=() n clause
    if ! [[ "$text" =~ $named_pattern ]]; then
        fail_readme "$line" "a directive names a command in backticks, then what is expected: $text"
    fi
    fragment="${BASH_REMATCH[1]}"
    rest="${BASH_REMATCH[2]}"
    for ((n = block_first; n <= count; n++)); do
        if [[ "$(<"$commands/$n.sh")" == *"$fragment"* ]]; then matches+=("$n"); fi
    done
    if [ ${#matches[@]} -ne 1 ]; then
        fail_readme "$line" "\`$fragment\` must name exactly one command of the next block; it names ${#matches[@]}"
    fi
    n="${matches[0]}"
    while [ -n "$rest" ]; do
        if [[ "$rest" =~ $exits_clause ]]; then
            echo "${BASH_REMATCH[1]}" >"$commands/$n.exit"
            rest="${BASH_REMATCH[3]}"
        elif [[ "$rest" =~ $prints_clause ]]; then
            echo "${BASH_REMATCH[1]}" >>"$commands/$n.prints"
            rest="${BASH_REMATCH[3]}"
        elif [[ "$rest" =~ $follows_clause ]]; then
            echo 1 >"$commands/$n.follow"
            rest="${BASH_REMATCH[2]}"
        else
            clause="$rest"
            fail_readme "$line" "unknown clause '$clause' (exits N, prints \`REGEX\`, runs until Ctrl-C)"
        fi
    done
}

in_section=0
in_block=0
block_lines=()
block_start=0
number=0
while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    if [ "$in_block" -eq 1 ]; then
        if [[ "$line" =~ $fence_end ]]; then
            in_block=0
            if [ "$directive_skip" -eq 1 ]; then
                directive_skip=0
            else
                split_block
                for directive in ${directives[@]+"${directives[@]}"}; do apply_directive "$directive"; done
            fi
            directives=()
        else
            block_lines+=("$line")
        fi
        continue
    fi
    if [[ "$line" =~ ^##[[:space:]] ]]; then
        if [ "$line" = "## Using the host" ]; then in_section=1; else in_section=0; fi
        continue
    fi
    [ "$in_section" -eq 1 ] || continue
    if [[ "$line" =~ $directive_pattern ]]; then
        if [ "${BASH_REMATCH[1]}" = "skip" ]; then directive_skip=1; else directives+=("$number"$'\t'"${BASH_REMATCH[1]}"); fi
    elif [[ "$line" =~ readme-check ]]; then
        fail_readme "$number" "a readme-check directive is one line: <!-- readme-check: ... -->"
    elif [[ "$line" =~ $fence_sh ]]; then
        in_block=1
        block_lines=()
        block_start=$((number + 1))
    elif [[ "$line" =~ $fence_other ]]; then
        # A block in another language (output, a config file): directives cannot apply to it.
        if [ ${#directives[@]} -gt 0 ] || [ "$directive_skip" -eq 1 ]; then
            fail_readme "$number" "a readme-check directive stands before a block that is not sh"
        fi
        while IFS= read -r line; do
            number=$((number + 1))
            if [[ "$line" =~ $fence_end ]]; then break; fi
        done
    fi
done <"$readme"
if [ "$in_block" -eq 1 ]; then fail_readme "$number" "a \`\`\`sh block is not closed"; fi
if [ ${#directives[@]} -gt 0 ] || [ "$directive_skip" -eq 1 ]; then
    fail_readme "$number" "a readme-check directive stands after the last block of the section"
fi
if [ "$count" -eq 0 ]; then
    fail_readme 1 "no commands found: the walkthroughs are the \`\`\`sh blocks under '## Using the host'"
fi

describe_command() {
    local n="$1" expectations=() regex
    [ "$(<"$commands/$n.exit")" = 0 ] || expectations+=("exits $(<"$commands/$n.exit")")
    [ "$(<"$commands/$n.follow")" = 0 ] || expectations+=("runs until Ctrl-C")
    while IFS= read -r regex; do expectations+=("prints /$regex/"); done <"$commands/$n.prints"
    printf '%s:%s' "$(basename "$readme")" "$(<"$commands/$n.line")"
    if [ ${#expectations[@]} -gt 0 ]; then
        local joined
        joined="$(printf '%s, ' "${expectations[@]}")"
        printf ' (%s)' "${joined%, }"
    fi
    printf '\n'
}

if [ "$list_only" -eq 1 ]; then
    for ((n = 1; n <= count; n++)); do
        describe_command "$n"
        sed 's/^/    /' "$commands/$n.sh"
    done
    rm -rf "$work"
    exit 0
fi

# --- Running the host as the README says --------------------------------------------------------------------

dev="$root/.gongzhi-dev"
kept="$root/.gongzhi-dev.before-readme-check"
bin="$(swift build -c release --show-bin-path)"
bin="$(mkdir -p "$bin" && cd "$bin" && pwd -P)"

# The processes of this checkout's host: gongzhi-host, gongzhictl and the simulated sensors (gongzhi-samples) from
# its release build, the plugins installed into .gongzhi-dev/plugins, and the broker and the sensors' mosquitto_pub
# started with .gongzhi-dev's configuration and socket. Prints "PID EXECUTABLE" for each.
processes_of_this_checkout() {
    local entry exe
    for entry in /proc/[0-9]*; do
        exe="$(readlink "$entry/exe" 2>/dev/null)" || continue
        exe="${exe% (deleted)}"
        case "$exe" in
            "$bin/gongzhi-host" | "$bin/gongzhictl" | "$bin/gongzhi-samples" | "$dev/plugins/"*)
                echo "${entry#/proc/} $exe"
                ;;
            */mosquitto | */mosquitto_pub)
                if tr '\0' ' ' <"$entry/cmdline" 2>/dev/null | grep -qF "$dev/"; then echo "${entry#/proc/} $exe"; fi
                ;;
        esac
    done
}

running="$(processes_of_this_checkout)"
if [ -n "$running" ]; then
    echo "readme-check: a host of this checkout is running; stop it (Ctrl-C in its terminal) first:" >&2
    echo "$running" >&2
    exit 1
fi
if [ -e "$kept" ]; then
    echo "readme-check: $kept is left from an interrupted check: move it back to $dev or remove it" >&2
    exit 1
fi

run_pid=""
walk_pid=""
moved_aside=0
files_before="$work/files-before"
top_files() { find "$root" -maxdepth 1 -type f -printf '%f\n' | sort; }

# Ctrl-C as a terminal sends it: SIGINT to run.sh's whole process group (run.sh and the host). Then waits for
# run.sh to end with status 0 and for every process of this checkout's host to be gone; prints what is left and
# returns 1 when something is still there after README_CHECK_STOP_SECONDS, or run.sh's status was not 0.
stop_run() {
    [ -n "$run_pid" ] || return 0
    kill -INT -- "-$run_pid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_seconds)) left
    while [ $SECONDS -lt $deadline ]; do
        left="$(processes_of_this_checkout)"
        if ! kill -0 "$run_pid" 2>/dev/null && [ -z "$left" ]; then
            local run_status=0
            wait "$run_pid" 2>/dev/null || run_status=$?
            run_pid=""
            if [ "$run_status" -ne 0 ]; then
                echo "readme-check: after Ctrl-C, Deploy/run.sh exited with status $run_status, not 0" >&2
                return 1
            fi
            return 0
        fi
        sleep 0.2
    done
    left="$(processes_of_this_checkout)"
    echo "readme-check: ${stop_seconds}s after Ctrl-C these are still running (now killed):" >&2
    kill -0 "$run_pid" 2>/dev/null && echo "$run_pid bash Deploy/run.sh" >&2
    [ -z "$left" ] || echo "$left" >&2
    kill -KILL -- "-$run_pid" 2>/dev/null || true
    local pid
    for pid in $(cut -d' ' -f1 <<<"$left"); do kill -KILL "$pid" 2>/dev/null || true; done
    wait "$run_pid" 2>/dev/null || true
    run_pid=""
    return 1
}

finish() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$walk_pid" ]; then
        kill -TERM "$walk_pid" 2>/dev/null || true
        wait "$walk_pid" 2>/dev/null || true
    fi
    stop_run || status=1
    # The files the commands wrote into the checkout's top folder, where they run (readings.json, ...).
    if [ -f "$files_before" ]; then
        local written
        written="$(comm -13 "$files_before" <(top_files))" || true
        if [ -n "$written" ]; then
            echo "readme-check: removing the files the commands wrote: $(tr '\n' ' ' <<<"$written")"
            while IFS= read -r file; do rm -f -- "$root/$file"; done <<<"$written"
        fi
    fi
    rm -rf "$dev"
    if [ "$moved_aside" -eq 1 ]; then mv "$kept" "$dev"; fi
    if [ "$status" -ne 0 ]; then
        echo "readme-check: FAILED; run.sh's output is in $work/run.log" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

if [ -e "$dev" ]; then
    mv "$dev" "$kept"
    moved_aside=1
    echo "readme-check: .gongzhi-dev/ is moved aside to $(basename "$kept")/ until the check ends"
fi

echo "readme-check: bash Deploy/run.sh (output in $work/run.log)"
: >"$work/run.log" # there before run.sh's own redirection, which the background job opens after this goes on
set -m # run.sh gets a process group of its own, which Ctrl-C (SIGINT) is sent to, and does not ignore SIGINT
bash Deploy/run.sh >"$work/run.log" 2>&1 </dev/null &
run_pid=$!
set +m

# Ready when run.sh says so: it prints this line after the plugins are ready and the first start's samples
# are loaded.
deadline=$((SECONDS + start_seconds))
host_pid=""
while [ -z "$host_pid" ]; do
    host_pid="$(sed -n 's/^The host is running (pid \([0-9]*\)).*/\1/p' "$work/run.log")"
    [ -z "$host_pid" ] || break
    if ! kill -0 "$run_pid" 2>/dev/null; then
        wait "$run_pid" && status=0 || status=$?
        run_pid=""
        echo "readme-check: Deploy/run.sh ended (status $status) before the host was ready:" >&2
        tail -n 40 "$work/run.log" >&2
        exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
        echo "readme-check: Deploy/run.sh did not say the host is running within ${start_seconds}s:" >&2
        tail -n 40 "$work/run.log" >&2
        exit 1
    fi
    sleep 1
done
if ! grep -q '^loading the sample community (first start)' "$work/run.log"; then
    echo "readme-check: Deploy/run.sh did not load the sample community on a first start:" >&2
    tail -n 40 "$work/run.log" >&2
    exit 1
fi
sealed=0
plugins=(noticeboard sensors grid points mediation intake)
for plugin in "${plugins[@]}"; do
    if grep -q '^sha256 = "[0-9a-f]\{64\}"$' "$dev/plugins/$plugin.plugin.toml" 2>/dev/null; then
        sealed=$((sealed + 1))
    fi
done
if [ "$sealed" -ne ${#plugins[@]} ]; then
    echo "readme-check: not every plugin's manifest in $dev/plugins is sealed with its executable's SHA-256" >&2
    exit 1
fi
echo "readme-check: the host is running (pid $host_pid), with the sample community loaded; $count commands to run"

# --- The walkthroughs ---------------------------------------------------------------------------------------

top_files >"$files_before"

# The commands run in a bash of their own, so that the README's variables (bin, id, ...) do not meet this
# script's. Its own names start with __readme_.
cat >"$work/walkthrough.sh" <<'WALK'
set -o pipefail
set -a # every variable a command sets also reaches the commands that run under timeout, in a bash of their own
__readme_dir="$1" __readme_name="$2" __readme_follow="$3" __readme_count="$4"
for ((__readme_n = 1; __readme_n <= __readme_count; __readme_n++)); do
    __readme_text="$(<"$__readme_dir/$__readme_n.sh")"
    __readme_where="$__readme_name:$(<"$__readme_dir/$__readme_n.line")"
    __readme_expected="$(<"$__readme_dir/$__readme_n.exit")"
    __readme_out="$__readme_dir/$__readme_n.out"
    printf '\n$ %s\n' "$__readme_text"
    if [ "$(<"$__readme_dir/$__readme_n.follow")" = 1 ]; then
        # Ctrl-C after a while, as the README says to stop it; 124 is timeout's "it was still running".
        timeout --signal=INT --kill-after=5 "$__readme_follow" bash -o pipefail -c "$__readme_text" \
            </dev/null >"$__readme_out" 2>&1
        __readme_status=$?
        cat "$__readme_out"
        if [ "$__readme_status" -eq 124 ]; then
            echo "(stopped with Ctrl-C after ${__readme_follow}s, as the README says)"
            __readme_status=0
        elif [ "$__readme_status" -eq 137 ]; then
            echo "readme-check: $__readme_where: the command did not stop on Ctrl-C within 5 s" >&2
            exit 1
        else
            echo "readme-check: $__readme_where: the command ended by itself (status $__readme_status)" \
                "before Ctrl-C; the README says it runs until Ctrl-C" >&2
            exit 1
        fi
    else
        { eval "$__readme_text"; } </dev/null >"$__readme_out" 2>&1
        __readme_status=$?
        cat "$__readme_out"
        if [ "$__readme_status" -ne "$__readme_expected" ]; then
            echo "readme-check: $__readme_where: the command exited with status $__readme_status," \
                "expected $__readme_expected" >&2
            exit 1
        fi
        [ "$__readme_expected" -eq 0 ] || echo "(exit status $__readme_status, as the README says)"
    fi
    while IFS= read -r __readme_regex; do
        if ! grep -Eq -- "$__readme_regex" "$__readme_out"; then
            echo "readme-check: $__readme_where: the output does not match /$__readme_regex/" >&2
            exit 1
        fi
    done <"$__readme_dir/$__readme_n.prints"
done
WALK

# In the background and waited for, so that an interrupt of this script is handled at once (finish stops it).
set -m # not ignoring SIGINT, which the commands that run until Ctrl-C are stopped with
timeout --kill-after=10 "$walk_seconds" \
    bash "$work/walkthrough.sh" "$commands" "$(basename "$readme")" "$follow_seconds" "$count" &
walk_pid=$!
set +m
walk_status=0
wait "$walk_pid" || walk_status=$?
walk_pid=""
if [ "$walk_status" -eq 124 ] || [ "$walk_status" -eq 137 ]; then
    echo "readme-check: the commands did not finish within ${walk_seconds}s" >&2
fi
if [ "$walk_status" -ne 0 ]; then
    echo "readme-check: the run's last lines:" >&2
    tail -n 20 "$work/run.log" >&2
    exit 1
fi

# --- Ctrl-C ---------------------------------------------------------------------------------------------------

echo
echo "readme-check: Ctrl-C"
if ! stop_run; then exit 1; fi
if kill -0 "$host_pid" 2>/dev/null; then
    echo "readme-check: the host (pid $host_pid) is still running after Ctrl-C" >&2
    exit 1
fi
echo "readme-check: passed: $count commands from $(basename "$readme"); after Ctrl-C no host, plugin, gongzhictl," \
    "broker or simulated sensor is left"
