"""Scale-out: page work on a queue in PostgreSQL (Procrastinate), shared by many machines.

`STATION_DATABASE_URL=postgresql+psycopg://…` turns it on (`StationSettings.distributed`;
`STATION_WORK=local` keeps the local pool on PostgreSQL). `station process` and
`station watch` then take originals in as usual and put each page's job on the queue in
the transaction that records the page (`queue`); `station worker` runs the jobs on any
machine that shares the data directory and the database (`workers`); the worker that
records a batch's last page hands the batch on to be finished (folders, documents,
report), once (`jobs`).
"""

from __future__ import annotations
