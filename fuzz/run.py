"""Run a fuzz target on demand (not part of the test suite).

    .venv/bin/python fuzz/run.py TARGET [--iterations N] [--seed S]
    .venv/bin/python fuzz/run.py all --iterations 20000
    .venv/bin/python fuzz/run.py batch --kernels python   # the reference kernels

Without atheris this is a seeded mutation fuzzer over the committed fixtures (bit
flips, byte insertions and deletions, truncations, splices); with ``--atheris`` and
atheris installed (``pip install atheris``) it hands the target to libFuzzer instead.
A crash - any exception outside ``targets.ALLOWED`` - is saved to
``fuzz/crashes/<target>-<sha1>.bin`` and the run exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]

import targets  # noqa: E402

from onvif_recorder.rtp import kernels  # noqa: E402


def mutate(rnd: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        choice = rnd.randrange(6)
        pos = rnd.randrange(len(out) + 1)
        if choice == 0 and out:
            out[min(pos, len(out) - 1)] ^= 1 << rnd.randrange(8)
        elif choice == 1:
            out[pos:pos] = bytes([rnd.choice((0, 0x24, 0x0A, 0x0D, 0xFF, rnd.randrange(256)))])
        elif choice == 2:
            del out[pos : pos + rnd.randint(1, 16)]
        elif choice == 3:
            del out[pos:]
        elif choice == 4:
            other = rnd.choice(corpus)
            start = rnd.randrange(len(other) + 1)
            out[pos:pos] = other[start : start + rnd.randint(1, 64)]
        else:
            out[pos:pos] = out[pos : pos + rnd.randint(1, 32)] * rnd.randint(1, 4)
    return bytes(out)


def check(name: str, target: Callable[[bytes], None], data: bytes) -> bool:
    try:
        target(data)
    except targets.ALLOWED:
        pass
    except Exception:
        crash = HERE / "crashes" / f"{name}-{hashlib.sha1(data).hexdigest()}.bin"
        crash.parent.mkdir(exist_ok=True)
        crash.write_bytes(data)
        print(f"CRASH in {name}, input saved to {crash}")
        traceback.print_exc()
        return False
    return True


def fuzz(name: str, iterations: int, seed: int) -> bool:
    target, corpus, rnd = targets.TARGETS[name], targets.seeds(), random.Random(seed)
    for data in corpus:
        if not check(name, target, data):
            return False
    for _ in range(iterations):
        if not check(name, target, mutate(rnd, rnd.choice(corpus), corpus)):
            return False
    print(f"{name}: {len(corpus)} seeds + {iterations} mutations, no crash")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=[*targets.TARGETS, "all"])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atheris", action="store_true")
    parser.add_argument("--kernels", choices=["python", "c"],
                        help="the ingest kernels to run (default: the compiled ones if built)")
    args = parser.parse_args()
    if args.kernels:
        kernels.select(args.kernels)
    print(f"ingest kernels: {kernels.name_active}")
    if args.atheris:
        import atheris  # type: ignore[import-untyped]

        target = targets.TARGETS[args.target]
        atheris.Setup([sys.argv[0]], lambda data: check(args.target, target, data))
        atheris.Fuzz()
    names = list(targets.TARGETS) if args.target == "all" else [args.target]
    return 0 if all(fuzz(name, args.iterations, args.seed) for name in names) else 1


if __name__ == "__main__":
    sys.exit(main())
