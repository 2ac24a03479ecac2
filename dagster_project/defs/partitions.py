"""The list year as Dagster's partition dimension, defined once and imported where needed.

A Danish list is published once a year (1 October in 2010–2012, 1 December since late 2013);
``list_year`` is the year of publication. The partitions are yearly windows that start on
1 December (Europe/Copenhagen), keyed by the year alone (``"2018"``), from the first list year the
rules cover (2010). ``end_offset=1`` makes the window that is still running a partition too, so the
partition ``"Y"`` exists from 1 December Y on — the day the list for Y is published and the
schedule asks for it.

Where the list year is a partition and where it is not (decision):
- raw assets and dbt models are *not* partitioned: every source file holds all years, and the
  hard-ghetto / omdannelsesområde status of a year depends on the previous years, so the warehouse
  is always rebuilt as a whole (and published atomically as a whole);
- the per-year publication report (``reports/dk_list_year``, in ``defs/publish.py``) is
  partitioned: it summarises one list year of the published warehouse;
- a run that is about one list year (the 1 December schedule, ``wijkmonitor refresh --year Y``)
  carries the year as its partition key and as the run tag ``LIST_YEAR_TAG``; the ingestion asset
  refuses such a run when the sources hold no statistics for that year.
"""

import dagster as dg

FIRST_LIST_YEAR = 2010
PUBLICATION_CRON = "0 0 1 12 *"
TIMEZONE = "Europe/Copenhagen"
LIST_YEAR_TAG = "wijkmonitor/list_year"

list_year_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule=PUBLICATION_CRON,
    start=str(FIRST_LIST_YEAR),
    fmt="%Y",
    timezone=TIMEZONE,
    end_offset=1,
)


def requested_list_year(tags: dict[str, str] | None) -> int | None:
    """The list year a run is about (run tag ``LIST_YEAR_TAG``), or None for a plain refresh."""
    value = (tags or {}).get(LIST_YEAR_TAG)
    return int(value) if value else None
