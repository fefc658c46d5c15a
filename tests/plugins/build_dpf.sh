#!/usr/bin/env bash
# Build real third-party CLAP and VST3 plugins for the tests: the DISTRHO plugins of
# Debian's `dpf-plugins` source package, DSP only (no UI, no OpenGL, no Cairo).
#
#   tests/plugins/build_dpf.sh DEST        (tests read DEST from $PLUGINARY_DPF_PLUGINS)
#
# Debian ships no CLAP plugin, but this source package carries the DPF framework with
# its CLAP wrapper. Installs DEST/clap/*.clap and DEST/vst3/*.vst3, then DEST/.complete;
# a DEST that is already complete for this package version is left alone, so CI can
# cache it. As root on Debian it enables deb-src and installs the few build tools it
# needs; elsewhere it expects g++, make, pkg-config and `apt-get source` to work.
# Takes about a minute on 2 cores.
set -euo pipefail

DEST=${1:?usage: build_dpf.sh DEST}
JOBS=${JOBS:-2}
# Every plugin of the package that builds without OpenGL (glBars and ProM need it).
PLUGINS=(Kars 3BandEQ 3BandSplitter PingPongPan AmplitudeImposer CycleShifter SoulForce MVerb Nekobi
         bitcrush freeverb gigaverb pitchshift)
MAKE_FLAGS=(HAVE_OPENGL=false HAVE_CAIRO=false HAVE_DGL=false)
STAMP="dpf-plugins ${PLUGINS[*]} ${MAKE_FLAGS[*]}"

if [[ -f $DEST/.complete && $(cat "$DEST/.complete") == "$STAMP" ]]; then
    echo "build_dpf: $DEST is complete"
    exit 0
fi

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    sources=/etc/apt/sources.list.d/debian.sources
    if [[ -f $sources ]] && ! grep -q '^Types:.*deb-src' "$sources"; then
        sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
        apt-get update -qq
    fi
    # `apt-get build-dep` would pull the UI stack (OpenGL, Cairo, JACK…); a DSP build needs this.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        g++ make pkg-config xz-utils ca-certificates >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Only the upstream tarball is needed; the Debian diff may 404 (it is not needed for a DSP build),
# which makes apt-get fail after fetching the tarball.
apt-get source --download-only dpf-plugins >apt.log 2>&1 || true
orig=$(compgen -G 'dpf-plugins_*.orig.tar.*' | head -n 1 || true)
if [[ -z $orig ]]; then
    cat apt.log >&2
    echo "build_dpf: could not download the dpf-plugins source (is deb-src enabled?)" >&2
    exit 1
fi
tar xf "$orig"
src=$(compgen -G 'dpf-plugins-*/' | head -n 1)

# Plugins in parallel, each a handful of files: JOBS makes at a time.
printf '%s\n' "${PLUGINS[@]}" |
    xargs -P "$JOBS" -I{} make -s -C "$src/plugins/{}" clap vst3 "${MAKE_FLAGS[@]}" >build.log 2>&1 ||
    { tail -n 40 build.log >&2; echo "build_dpf: the build failed" >&2; exit 1; }

rm -rf "$DEST/clap" "$DEST/vst3" "$DEST/.complete"
mkdir -p "$DEST/clap" "$DEST/vst3"
cp "$src"/bin/*.clap "$DEST/clap/"
cp -r "$src"/bin/*.vst3 "$DEST/vst3/"
echo "$STAMP" >"$DEST/.complete"
echo "build_dpf: $(ls "$DEST/clap" | wc -l) CLAP and $(ls "$DEST/vst3" | wc -l) VST3 plugins in $DEST"
