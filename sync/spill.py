"""Scan-local storage for new revisions' content (segments, body, source texts).

A scan may read hundreds of thousands of documents; it keeps only their metadata in
memory. Content is pickled as it is put: the pickles stay in memory up to a byte budget
(IN_MEMORY_BYTES), then the whole buffer is appended to a temporary file in one write and
the buffer starts again (each slot's place in the file kept in an array, read back with one
``pread``), so a scan's memory is bounded whatever the size of the source
(a budget in bytes, not documents: one post may be a few kilobytes or several megabytes).

``memory`` holds values set directly (write-back replaces a document's content with one
that carries source texts): they are not pickled and are looked up first.

A slot's content is ``(segments, body, source texts, words, memory hashes)``: the last three
None where not given (write-back gives source texts), not counted, or not hashed (the words
and translation memory's hash of each segment, made where the segments were: a parser or
worker process). A worker process pickles it itself (:class:`Packed`), so that the scan's
process puts the bytes as they came rather than unpickling and pickling them again.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from dataclasses import dataclass
from typing import Any

#: Pickled content kept in memory before a scan spills it to its temporary file.
IN_MEMORY_BYTES = 4 << 20


def pack(content: Any) -> bytes:
    """A slot's content as the spill keeps it."""
    return pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)


@dataclass(frozen=True, slots=True)
class Packed:
    """A document's analysis made in another process, its content already packed for the
    spill (:func:`pack`): the scan's process reads only the hash and the count."""

    content_hash: str
    segment_count: int
    data: bytes

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]


class Spill:
    def __init__(self, limit: int | None = None) -> None:
        self.limit = IN_MEMORY_BYTES if limit is None else limit  # bytes of pickles in memory
        self.memory: dict[int, Any] = {}  # values set directly, not pickled
        self.buffer: dict[int, bytes] = {}  # pickles not yet in the file
        self.buffered = 0  # their bytes
        self.sizes = array("Q")  # slot -> bytes of its pickle (4-8 bytes a document)
        self.offsets = array("Q")  # slot -> where its pickle starts in the file, once there
        self.file: Any = None  # the temporary file, opened at the first flush
        self.fd: int | None = None  # its descriptor
        self.end = 0  # bytes written to it

    @property
    def next(self) -> int:
        return len(self.sizes)

    def put(self, value: Any) -> int:
        return self.put_packed(pack(value))

    def put_packed(self, data: bytes) -> int:
        """Put content packed already (:func:`pack`); its slot."""
        slot = len(self.sizes)
        self.sizes.append(len(data))
        self.buffer[slot] = data
        self.buffered += len(data)
        if self.buffered > self.limit:
            self.flush()
        return slot

    def size(self, slot: int) -> int:
        """Bytes of a slot's pickled content: a measure of how much memory it takes back."""
        return self.sizes[slot]

    def get(self, slot: int) -> Any:
        if slot in self.memory:
            return self.memory[slot]
        data = self.buffer.get(slot)
        if data is None:
            if self.fd is None or not 0 <= slot < len(self.offsets):
                raise KeyError(slot)
            data = os.pread(self.fd, self.sizes[slot], self.offsets[slot])
        return pickle.loads(data)

    def flush(self) -> None:
        """Append the buffered pickles to the temporary file, in one write. Slots are put
        in order and every flush takes all of them, so the buffer holds the slots from the
        first not yet in the file up to the last, in order."""
        if not self.buffer:
            return
        if self.fd is None:
            # a file with no name (unlinked at once): it goes when the process does, even a
            # scan killed with SIGKILL (a worker's hard time limit, the OOM killer), which
            # would leave a named one behind in /tmp, as large as the content it read
            self.file = tempfile.TemporaryFile(prefix="transync-scan-", suffix=".spill")
            self.fd = self.file.fileno()
        offsets, end = self.offsets, self.end
        for slot in range(len(offsets), len(self.sizes)):
            offsets.append(end)
            end += self.sizes[slot]
        data = b"".join(self.buffer.values())  # insertion order: the slots' order
        written = 0
        while written < len(data):  # a regular file takes it all at once; a signal may not
            written += os.pwrite(self.fd, memoryview(data)[written:], self.end + written)
        self.end = end
        self.buffer.clear()
        self.buffered = 0

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = self.fd = None
        self.memory.clear()
        self.buffer.clear()
        self.buffered = 0

    def __del__(self) -> None:  # a scan that died still removes its file
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - best effort at interpreter exit
            pass
