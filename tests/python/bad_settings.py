"""For tests/package.bats: import libguard with a bad LIBGUARD_* setting in
the environment (and LIBGUARD_TIMEOUT=0.3).  Prints RAISED <class> <message>
when the import raises, WARNED <category> <message> for each warning, then
whether the environment's time guard is armed, and ALIVE at the end: the
process must go on either way."""
import time
import warnings

try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import libguard
    for w in caught:
        print("WARNED", w.category.__name__, w.message, flush=True)
    try:
        time.sleep(1)
        print("GUARD", "unarmed", flush=True)
    except libguard.ExecutionTimeout:
        print("GUARD", "armed", flush=True)
except ValueError as e:
    print("RAISED", type(e).__name__, e, flush=True)
    try:
        import libguard  # noqa: F811  again: the same answer
    except ValueError as again:
        print("AGAIN", type(again).__name__, again, flush=True)
print("ALIVE", flush=True)
