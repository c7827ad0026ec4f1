"""``trainscape`` on PATH (the wheel's console script) and ``python -m trainscape``: runs the
binary in place of this process, with the same arguments, standard streams and exit status."""
import os
import sys


def main() -> None:
    from ._cli import TrainscapeError, binary

    try:
        exe = os.fspath(binary())
    except TrainscapeError as e:
        sys.stderr.write(f"trainscape: error: {e}\n")
        sys.exit(1)
    os.execv(exe, [exe, *sys.argv[1:]])


if __name__ == "__main__":
    main()
