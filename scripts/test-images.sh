#!/usr/bin/env bash
# Builds the container image and runs it for real: two containers, then the
# dev overlay under `podman kube play`; then the Debian package, installed
# with apt in a clean container, runs `tminus demo`. Part of scripts/test.sh; on its own:
#   scripts/test-images.sh        (after scripts/build.sh: uses build/bin)
# TMINUS_SKIP_IMAGES=1 skips it (the image build takes ~5 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TMINUS_SKIP_IMAGES:-0}" = 1 ]; then
  echo "test-images: skipped (TMINUS_SKIP_IMAGES=1)"
  exit 0
fi
start=$SECONDS
deploy/container/build-image.sh localhost/tminus:dev
echo "test-images: image built in $((SECONDS - start)) s"
deploy/container/test-image.sh build/bin localhost/tminus:dev
deploy/k8s/test/kube-play-test.sh build/bin
deploy/package/test-deb.sh build
echo "test-images: 3 passed, 0 failed"
