# Sourced by scripts/godot, tests/peers/chromium-env and tests/cross/*-env: apt run against a
# private state under .cache/ (nothing of the host's apt state is written), and unpacking what
# it would install into a root of our own instead of installing it. The caller sets APTDIR and
# APT_CONF (the file private_apt_conf writes) before calling these.

# private_apt_conf ETC_LINES: writes $APT_CONF: the caller's Dir::Etc lines (which sources,
# keys and preferences apt reads), state, cache and log under $APTDIR, no recommends, and of
# the host's own settings only those for downloading (proxies, and Check-Valid-Until /
# Check-Date: a snapshot mirror serves Release files past their Valid-Until).
private_apt_conf() {
    mkdir -p "$APTDIR"/etc/apt.conf.d "$APTDIR"/etc/preferences.d "$APTDIR"/state/lists/partial \
             "$APTDIR"/archives/partial "$APTDIR"/dpkg "$APTDIR"/log
    cat > "$APT_CONF" <<CONF
$1
Dir::State "$APTDIR/state/";
Dir::State::lists "$APTDIR/state/lists/";
Dir::State::status "$APTDIR/dpkg/status";
Dir::State::extended_states "$APTDIR/state/extended_states";
Dir::Cache "$APTDIR/cache/";
Dir::Cache::archives "$APTDIR/archives/";
Dir::Log "$APTDIR/log/";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Retries "3";
CONF
    apt-config dump Acquire::Check-Valid-Until Acquire::Check-Date \
            Acquire::http Acquire::https Acquire::ftp 2>/dev/null \
        | grep -v ' "";$' >> "$APT_CONF" || true
}

apt_() { APT_CONFIG=$APT_CONF "$@"; }

# apt_install_plan PACKAGE: what `apt-get install PACKAGE` would install or upgrade, one
# "name version arch" line each, from "Inst name (version suite [arch])" or, for an upgrade,
# "Inst name [old] (version suite [arch])".
apt_install_plan() {
    apt_ apt-get -s install "$1" | awk '$1 == "Inst" {
        v = ($3 ~ /^\[/) ? $4 : $3; gsub(/[()]/, "", v)
        match($0, /\[(amd64|all)\]/); print $2, v, substr($0, RSTART + 1, RLENGTH - 2) }'
}

# unpack_plan PLAN DEST: unpacks the downloaded packages of PLAN (apt_install_plan's lines)
# into DEST.
unpack_plan() {
    local name ver arch deb
    while read -r name ver arch; do
        deb=$APTDIR/archives/${name}_${ver//:/%3a}_${arch}.deb
        [[ -f $deb ]] || die "expected $deb after download"
        dpkg-deb -x "$deb" "$2"
    done <<<"$1"
}

# Find the Debian archive URI in the machine's own apt configuration, so that no host name is
# written into the repository and whatever mirror/proxy this machine is set up for is used.
# Prefer deb822 *.sources stanzas, then classic sources.list lines; skip -security suites.
# find_archive_uri [OVERRIDE]: OVERRIDE when given, else the URI from /etc/apt.
find_archive_uri() {
    if [[ -n ${1-} ]]; then echo "$1"; return; fi
    local codename uri
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME-}")
    shopt -s nullglob
    local sources=(/etc/apt/sources.list.d/*.sources)
    shopt -u nullglob
    if (( ${#sources[@]} )); then
        # One stanza per paragraph; print the first URI of a `Types: deb` stanza that is enabled,
        # has component main, and whose suites include the release codename (or, failing that,
        # any non-security suite).
        uri=$(awk -v codename="$codename" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled !~ /^no$/ && comps ~ /(^| )main( |$)/ \
                    && suites != "" && suites !~ /-security/ && uris != "") {
                    split(uris, u, " ")
                    if (codename != "" && (" " suites " ") ~ (" " codename " ")) { if (best == "") best = u[1] }
                    else if (any == "") any = u[1]
                }
                types = uris = suites = comps = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "components") comps = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { flush(); print (best != "" ? best : any) }
        ' "${sources[@]}")
        if [[ -n $uri ]]; then echo "$uri"; return; fi
    fi
    if [[ -f /etc/apt/sources.list ]]; then
        # "deb [options] URI suite components..."
        uri=$(awk '$1 == "deb" {
                  i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                  if ($(i+1) !~ /-security/) { print $i; exit } }' /etc/apt/sources.list)
        if [[ -n $uri ]]; then echo "$uri"; return; fi
    fi
    return 1
}

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# debian_suite_apt SUITE URI: a private apt configuration for Debian's SUITE (amd64, main) at
# URI, with an empty dpkg status so that apt resolves a package's whole dependency closure:
# nothing of the host's apt state, sources, pins or hooks is read or written (the host's
# apt.conf.d has update hooks that would touch system caches). APT_CONFIG is read before
# apt.conf.d, so setting Dir::Etc::parts here disables the host's parts.
debian_suite_apt() {
    local suite=$1 uri=$2
    private_apt_conf "$(cat <<EOF
Dir::Etc "$APTDIR/etc/";
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$APTDIR/etc/apt.conf.d/";
Dir::Etc::sourcelist "$APTDIR/etc/sources.list";
Dir::Etc::sourceparts "$APTDIR/etc/sources.list.d/";
Dir::Etc::preferences "$APTDIR/etc/preferences";
Dir::Etc::preferencesparts "$APTDIR/etc/preferences.d/";
Dir::Etc::trusted "$KEYRING";
Dir::Etc::trustedparts "$APTDIR/etc/trusted.gpg.d/";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
EOF
)"
    mkdir -p "$APTDIR"/etc/sources.list.d "$APTDIR"/etc/trusted.gpg.d
    # An empty dpkg status makes apt resolve the *whole* dependency closure (incl. libc6).
    [[ -f $APTDIR/dpkg/status ]] || : > "$APTDIR/dpkg/status"
    printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$uri" "$suite" > "$APTDIR/etc/sources.list"
}

# suite_with PACKAGE MIN_VERSION URI SUITE...: sets apt up (debian_suite_apt) for the first SUITE
# whose PACKAGE is MIN_VERSION or newer and prints "SUITE VERSION"; returns 1 if none has it.
suite_with() {
    local package=$1 min=$2 uri=$3 suite cand
    shift 3
    for suite in "$@"; do
        debian_suite_apt "$suite" "$uri"
        apt_ apt-get -q update >&2 || continue
        cand=$(apt_ apt-cache policy "$package" | awk '/Candidate:/ {print $2}')
        if [[ -n $cand && $cand != "(none)" ]] && dpkg --compare-versions "$cand" ge "$min"; then
            echo "$suite $cand"
            return 0
        fi
    done
    return 1
}

# unpack_closure PACKAGE DEST: downloads PACKAGE and everything it needs (with debian_suite_apt's
# empty status: the whole closure, glibc included) and unpacks them into DEST.
unpack_closure() {
    local plan
    plan=$(apt_install_plan "$1")
    [[ -n $plan ]] || die "apt-get -s install $1 resolved nothing"
    apt_ apt-get -q -y --download-only install "$1" >&2
    unpack_plan "$plan" "$2"
}
