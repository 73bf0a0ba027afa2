"""What the nightly rebuild reports: the roll-up rows the per-order refreshes left
different from the rebuild, and the first few of them."""

from __future__ import annotations


def differences(kind: str, old: dict, new: dict, sample: list) -> int:
    differing = 0
    for key in old.keys() | new.keys():
        if old.get(key) != new.get(key):
            differing += 1
            if len(sample) < 20:
                sample.append({"table": kind, "key": [str(part) for part in key],
                               "stored": _plain(old.get(key)), "rebuilt": _plain(new.get(key))})
    return differing


def _plain(values: dict | None):
    return None if values is None else {k: str(v) for k, v in values.items()}
