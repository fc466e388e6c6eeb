# Sourced by scripts/godot and tests/peers/chromium-env: apt run against a private state under
# .cache/ (nothing of the host's apt state is written), and unpacking what it would install
# into a root of our own instead of installing it. The caller sets APTDIR and APT_CONF (the
# file private_apt_conf writes) before calling these.

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
