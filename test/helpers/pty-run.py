"""Run a command in a pseudo-terminal, for tests that need a real terminal.

    python3 pty-run.py COLUMNS ROWS COMMAND [ARG...]

What the command writes to its terminal comes out on our stdout; what we
read on stdin is typed into its terminal. Our exit code is the command's
(128 + N if signal N killed it). Python's standard library only.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main():
    columns, rows = int(sys.argv[1]), int(sys.argv[2])
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
    stdin_open = True
    while True:
        readable = [fd] + ([0] if stdin_open else [])
        ready, _, _ = select.select(readable, [], [])
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if not data:
                break
            os.write(1, data)
        if 0 in ready:
            data = os.read(0, 65536)
            if data:
                os.write(fd, data)
            else:
                stdin_open = False
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


main()
