"""A ``ray.data`` datasource that reads what the driver puts on a queue, as it puts it.

A ``--ray`` build starts its pipeline before it has chunked anything, so that Ray's start-up
overlaps the chunking (``ray_embed._Pipeline``); the chunk groups follow on a
``ray.util.queue.Queue``. Imported only by a ``--ray`` build: it imports ``ray.data``.
"""

from __future__ import annotations

import functools

import pyarrow as pa
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask


class QueueDatasource(Datasource):
    """The items put on ``queue`` up to a ``None``, one block each (so they spread over the
    next stage's actors), from one read task."""

    def __init__(self, queue) -> None:
        super().__init__()
        self._queue = queue

    def estimate_inmemory_data_size(self) -> int | None:
        return None  # unknown until the build has chunked

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context=None) -> list[ReadTask]:
        return [ReadTask(functools.partial(_read, self._queue),
                         BlockMetadata(num_rows=None, size_bytes=None, input_files=None, exec_stats=None))]


def _read(queue):
    while (item := queue.get()) is not None:
        yield pa.Table.from_pylist([item])
