#!/usr/bin/env python3
"""on-tty.py READY KEYS COMMAND...

Runs COMMAND on a new pseudo-terminal, in its foreground, as a shell would.
Once a line arrives on the FIFO READY (the command under test writes it when
it is ready), types KEYS (Python escapes: "\\x03" is Ctrl-C, "\\x1a" Ctrl-Z).
After Ctrl-Z it waits until COMMAND stops, prints "stopped", and continues
it (as fg would).  Prints what the terminal showed, then "exit N"."""
import os
import pty
import signal
import sys


def main():
    ready, keys, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    keys = keys.encode().decode("unicode_escape").encode("latin-1")
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    with open(ready) as f:
        f.readline()
    os.write(master, keys)
    if b"\x1a" in keys:
        _, status = os.waitpid(pid, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            print("stopped", flush=True)
            os.kill(pid, signal.SIGCONT)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    code = os.waitstatus_to_exitcode(status)
    print("exit", code if code >= 0 else 128 - code)


main()
