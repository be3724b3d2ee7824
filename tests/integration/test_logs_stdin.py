"""Standard input: chunked reads from a pipe or a redirected file; EOF ends it, no spin."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.logs import Collector, wait_for
from tui.logs.sources import SourceState, StdinSource


async def test_pipe_lines_then_eof_ends_without_spinning() -> None:
    read_end, write_end = os.pipe()
    collector = Collector()
    source = StdinSource(fd=read_end)
    try:
        source.start(collector)
        await wait_for(lambda: source.status.state is SourceState.CONNECTED)
        os.write(write_end, b"first\nsecond \xff\x00\npartial")
        await wait_for(lambda: collector.lines == ["first", "second \\xff␀"])
        cpu_before = time.process_time()
        os.close(write_end)
        write_end = -1
        await source.wait()
        assert collector.lines[-1] == "partial"
        assert source.status.state is SourceState.ENDED
        assert source.status.message == "ended (end of input)"
        assert not source.running
        assert time.process_time() - cpu_before < 0.5
        assert os.get_blocking(read_end)  # left as it was found
    finally:
        if write_end >= 0:
            os.close(write_end)
        os.close(read_end)


async def test_redirected_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "in.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(20000)))
    collector = Collector()
    fd = os.open(path, os.O_RDONLY)
    try:
        source = StdinSource("piped", fd=fd)
        source.start(collector)
        await source.wait()
    finally:
        os.close(fd)
    assert len(collector.lines) == 20000 and collector.lines[-1] == "line 19999"
    assert source.status.state is SourceState.ENDED


async def test_stop_while_waiting_for_input() -> None:
    read_end, write_end = os.pipe()
    try:
        source = StdinSource(fd=read_end)
        source.start(Collector())
        await wait_for(lambda: source.status.state is SourceState.CONNECTED)
        await source.stop()
        assert source.status.state is SourceState.STOPPED
    finally:
        os.close(write_end)
        os.close(read_end)
