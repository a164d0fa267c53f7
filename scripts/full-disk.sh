#!/usr/bin/env bash
# Opt-in (needs root, Linux): train into a real 64 KiB tmpfs until the disk
# fills, and check that the failure is one clear line, that the last
# checkpoint still loads, and that no temporary file is left behind.
# Usage: sudo scripts/full-disk.sh   (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
mnt=$(mktemp -d)
trap 'umount "$mnt" 2>/dev/null || true; rmdir "$mnt"' EXIT
if ! mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
  echo "full-disk: cannot mount a tmpfs (root needed); skipped"
  exit 0
fi
set +e
node dist/cli/main.js train --optimizer adam --epochs 5 --out "$mnt/run" >/dev/null 2>"$mnt.err"
status=$?
set -e
err=$(cat "$mnt.err"); rm -f "$mnt.err"
echo "exit $status: $err"
[ "$status" -eq 1 ] || { echo "full-disk: expected exit 1 on a full disk"; exit 1; }
[[ "$err" == *"ENOSPC"*"the disk is full"* ]] || { echo "full-disk: the message does not say the disk is full"; exit 1; }
if ls -A "$mnt/run" | grep -q '\.tmp$'; then echo "full-disk: a temporary file was left behind"; exit 1; fi
node --input-type=module -e "
import { loadCheckpoint } from './dist/cli/checkpoint.js';
const c = loadCheckpoint('$mnt/run');
console.log('full-disk: the last checkpoint loads (epoch ' + c.position.epoch + ', batch ' + c.position.nextBatch + ')');
"
echo "full-disk: ok"
