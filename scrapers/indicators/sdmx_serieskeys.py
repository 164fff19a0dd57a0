"""SDMX-ML 2.1 "serieskeysonly" messages: which series exist, with no observations.

Read with sdmx1 (it reads StructureSpecificData series keys without the DSD). They yield no
observations; the loader reports them as availability: which UNICEF series exist for KAZ and
which catalogue indicators have (or lack) a series in the Data Warehouse.
"""
from __future__ import annotations

import io
import logging

from scrapers.indicators.errors import ImportError_


def read_series_keys(data: bytes, file: str) -> list[dict[str, str]]:
    import sdmx

    if not data or not data.strip():
        raise ImportError_(file, None, "empty file")
    log = logging.getLogger("sdmx")
    level = log.level
    log.setLevel(logging.ERROR)  # "got no structure=… argument": expected for series keys
    try:
        msg = sdmx.read_sdmx(io.BytesIO(data), format="XML")
    except Exception as e:  # sdmx1 raises many types; the message is what matters
        raise ImportError_(file, None, f"not a readable SDMX-ML message: {type(e).__name__}: {e}") from None
    finally:
        log.setLevel(level)
    if not getattr(msg, "data", None):
        raise ImportError_(file, None, "SDMX-ML message has no DataSet")
    out = []
    for ds in msg.data:
        if len(ds.obs):
            raise ImportError_(file, None, "has observations; use a data importer, not series keys")
        for key in ds.series:
            out.append({k: str(v.value) for k, v in key.values.items()})
    return out
