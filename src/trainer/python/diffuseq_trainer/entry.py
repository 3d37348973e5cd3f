"""How every Python entry point (train, export, teacher, check_parity, fakedata) talks to the user: notes go to
stderr through log() (stdout carries only machine-readable output), and a failure is one line on stderr and exit 1,
never a stack trace (docs/cli.md); `--verbose` anywhere on the command line, or DIFFUSEQ_DEBUG=1 in the environment,
adds the traceback. Exit 2 stays argparse's, for a bad command line.
"""

import os
import sys
import traceback


def log(msg):
    """A note for the user on stderr, flushed at once (stdout is the JSON the TypeScript side reads)."""
    print(msg, file=sys.stderr, flush=True)


def take_verbose(argv):
    """(argv without --verbose, whether it was there): the flag belongs to this wrapper, not to the entry's parser."""
    rest = [a for a in argv if a != "--verbose"]
    return rest, len(rest) != len(argv)


def wants_traceback(verbose=False):
    return verbose or bool(os.environ.get("DIFFUSEQ_DEBUG"))


def describe(e):
    """What went wrong, on one line: a ValueError's message as is (the trainer's own checks word it for the user),
    an OSError with the file it names, anything else with its type."""
    if isinstance(e, OSError) and e.filename is not None:
        msg = f"{e.strerror or type(e).__name__}: {e.filename}"
    else:
        msg = str(e) or type(e).__name__
        if not isinstance(e, ValueError):
            msg = f"{type(e).__name__}: {msg}"
    return " ".join(msg.split())


def error_line(prog, e):
    return f"{prog}: {describe(e)}"


def run_main(main, prog, argv=None, stderr=None):
    """Runs main(argv) and returns its exit code; an exception becomes error_line on stderr and exit 1."""
    stderr = stderr or sys.stderr
    argv, verbose = take_verbose(sys.argv[1:] if argv is None else list(argv))
    try:
        return main(argv, verbose=verbose) if _takes_verbose(main) else main(argv)
    except KeyboardInterrupt:
        print(f"{prog}: cancelled", file=stderr)
        return 130
    except Exception as e:  # the user gets one line, the traceback only when asked for
        if wants_traceback(verbose):
            traceback.print_exc(file=stderr)
        print(error_line(prog, e), file=stderr)
        return 1


def _takes_verbose(main):
    code = getattr(main, "__code__", None)
    return bool(code) and "verbose" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
