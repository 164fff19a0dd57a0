"""The columns a search filters, ranks and counts by, held in memory per served build.

A search's matches come from the FTS index as rowids (and bm25 scores); everything else a search
needs of every match (act, act form and status, dimensions, age groups, excluded, place in
the act) is a few small numpy arrays indexed by `provisions.rowid`, read once from the
build's indexes. Facets and filters are then counted over *every* match in a few
milliseconds, where reading each match's row (or even the best 2,000 of them) cost most of a
first search at a million provisions (issue 11), and facets covered only those 2,000.

About 15 bytes per provision (15 MB at a million), read in about two seconds at start
(`kb.plugin.startup`). A mutable database is read again per search (small databases only).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 50_000


def _mask_dtype(n: int):
    for dtype in (np.uint16, np.uint32, np.uint64):
        if n <= np.iinfo(dtype).bits:
            return dtype
    raise ValueError(f"{n} codes do not fit a 64-bit mask")


@dataclass(frozen=True)
class SearchColumns:
    act: np.ndarray            # rowid → act index; -1: no provision with that rowid
    place: np.ndarray          # rowid → rank in (act_id, position) order
    excluded: np.ndarray       # rowid → bool
    dims: np.ndarray           # rowid → bit mask over dimension_codes
    ages: np.ndarray           # rowid → bit mask over age_group_codes
    kaz: np.ndarray            # provision_texts rowid → provision rowid (-1: not a searchable Kazakh text)
    act_ids: tuple[str, ...]
    act_forms: np.ndarray      # act index → index into forms (-1: none)
    act_statuses: np.ndarray   # act index → index into statuses (-1: none)
    forms: tuple[str, ...]
    statuses: tuple[str, ...]
    dimension_codes: tuple[str, ...]
    age_group_codes: tuple[str, ...]

    def repealed(self, rowids: np.ndarray) -> np.ndarray:
        repealed = self.statuses.index("repealed") if "repealed" in self.statuses else -2
        return self.act_statuses[self.act[rowids]] == repealed

    def keep(self, rowids: np.ndarray, f: dict) -> np.ndarray:
        """A bool mask over rowids: the provision exists, is not excluded and passes the
        filters f (dimension, age, act, form, status). A value the build does not know keeps
        nothing."""
        keep = (rowids >= 0) & (rowids < len(self.act))
        rowids = np.where(keep, rowids, 0)
        act = self.act[rowids]
        keep &= (act >= 0) & ~self.excluded[rowids]
        if f.get("status") in ("in_force", "repealed"):
            keep &= self.act_statuses[act] == _index(self.statuses, f["status"])
        if f.get("form"):
            keep &= self.act_forms[act] == _index(self.forms, f["form"])
        if f.get("act"):
            keep &= act == _index(self.act_ids, f["act"])
        for key, mask, codes in (("dimension", self.dims, self.dimension_codes),
                                 ("age", self.ages, self.age_group_codes)):
            if f.get(key):
                bit = _index(codes, f[key])
                if bit < 0:
                    return np.zeros(len(rowids), dtype=bool)
                keep &= (mask[rowids] >> mask.dtype.type(bit)) & 1 == 1
        return keep

    def facets(self, rowids: np.ndarray) -> dict[str, dict[str, int]]:
        """Counts per dimension, age group, act, act form and act status over rowids."""
        out: dict[str, dict[str, int]] = {}
        for key, mask, codes in (("dimension", self.dims, self.dimension_codes),
                                 ("age", self.ages, self.age_group_codes)):
            values = mask[rowids]
            out[key] = {}
            for bit, code in enumerate(codes):
                n = int(np.count_nonzero((values >> values.dtype.type(bit)) & 1))
                if n:
                    out[key][code] = n
        act = self.act[rowids]
        for key, index, names in (("act", act, self.act_ids),
                                  ("form", self.act_forms[act], self.forms),
                                  ("status", self.act_statuses[act], self.statuses)):
            counts = np.bincount(index[index >= 0], minlength=len(names))
            out[key] = {names[i]: int(n) for i, n in enumerate(counts) if n and names[i]}
        return out


def _index(names: tuple, value) -> int:
    try:
        return names.index(value)
    except ValueError:
        return -1


def _fill(conn, sql: str, size: int, dtype, default) -> np.ndarray:
    """An array over rowids 0..size-1 from `sql`'s (rowid, value) rows, default elsewhere."""
    out = np.full(size, default, dtype=dtype)
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(CHUNK):
        at = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        out[at] = np.fromiter((r[1] for r in rows), dtype=dtype, count=len(rows))
    return out


def _bits(conn, sql: str, size: int, codes: tuple) -> np.ndarray:
    """rowid → bit mask of the codes `sql`'s (rowid, code) rows give it."""
    dtype = _mask_dtype(len(codes))
    bit = {c: dtype(1) << dtype(i) for i, c in enumerate(codes)}
    out = np.zeros(size, dtype=dtype)
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(CHUNK):
        rows = [r for r in rows if r[1] in bit and r[0] is not None]
        at = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        values = np.fromiter((bit[r[1]] for r in rows), dtype=dtype, count=len(rows))
        np.bitwise_or.at(out, at, values)
    return out


def read(conn) -> SearchColumns:
    """The columns of the database behind conn (a sqlite3 connection), from its indexes."""
    size = (conn.execute("select max(rowid) from provisions").fetchone()[0] or 0) + 1
    acts = conn.execute("select id, form, status from acts order by id").fetchall()
    act_ids = tuple(a[0] for a in acts)
    forms = tuple(sorted({a[1] for a in acts if a[1]}))
    statuses = tuple(sorted({a[2] for a in acts if a[2]}))
    at = {a: i for i, a in enumerate(act_ids)}
    act = np.full(size, -1, dtype=np.int32)
    place = np.zeros(size, dtype=np.int32)
    # (act_id, position) order is idx_provisions_act's own: one pass gives act and place
    cursor = conn.execute("select rowid, act_id from provisions order by act_id, position")
    done = 0
    while rows := cursor.fetchmany(CHUNK):
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        act[rowids] = np.fromiter((at.get(r[1], -1) for r in rows), dtype=np.int32,
                                  count=len(rows))
        place[rowids] = np.arange(done, done + len(rows), dtype=np.int32)
        done += len(rows)
    excluded = _fill(conn, "select rowid, 1 from provisions where excluded = 1", size, bool,
                     False)
    dimension_codes = tuple(r[0] for r in conn.execute("select code from dimensions order by code"))
    age_group_codes = tuple(r[0] for r in conn.execute("select code from age_groups order by code"))
    dims = _bits(conn, """select p.rowid, pd.dimension_code from provision_dimensions pd
                          join provisions p on p.id = pd.provision_id""", size, dimension_codes)
    ages = _bits(conn, """select p.rowid, pa.age_group_code from provision_age_groups pa
                          join provisions p on p.id = pa.provision_id""", size, age_group_codes)
    texts = (conn.execute("select max(rowid) from provision_texts").fetchone()[0] or 0) + 1
    kaz = _fill(conn, """select t.rowid, p.rowid from provision_texts t
                         join provisions p on p.id = t.provision_id
                         where t.lang = 'kaz' and t.excluded = 0""", texts, np.int32, -1)
    return SearchColumns(
        act=act, place=place, excluded=excluded, dims=dims, ages=ages, kaz=kaz,
        act_ids=act_ids,
        act_forms=np.array([_index(forms, a[1]) for a in acts], dtype=np.int16),
        act_statuses=np.array([_index(statuses, a[2]) for a in acts], dtype=np.int16),
        forms=forms, statuses=statuses, dimension_codes=dimension_codes,
        age_group_codes=age_group_codes)
