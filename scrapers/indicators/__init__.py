"""Indicator importers: one module per source format, sharing one record type.

Public API:
    Observation, ParseResult, Skip, SourceMeta     (records)
    ImportError_                                    (errors: file + row on bad input)
    parse_unicef_sdmx_csv, fetch_unicef_sdmx        (UNICEF SDMX REST csv)
    parse_sdmx_json                                 (SDMX-JSON 1.0, the 2018 cmesite mock)
    read_series_keys                                (SDMX-ML serieskeysonly, via sdmx1)
    parse_sowc2023                                  (SOWC 2023 workbook, via openpyxl)
    parse_worldbank_csv, fetch_worldbank            (WDI bulk CSV and API v2 JSON)
    parse_stat_schools_xlsx, parse_stat_schools_csv, parse_egov_population,
    parse_qamqor_sentencing                         (national files)
    load_catalogue, load_areas                      (kb/data/indicators.yml, kb/data/areas.yml)
"""
from scrapers.indicators.catalogue import load_areas, load_catalogue
from scrapers.indicators.errors import CatalogueError, ImportError_
from scrapers.indicators.national import (
    parse_egov_population, parse_qamqor_sentencing, parse_stat_schools_csv, parse_stat_schools_xlsx,
)
from scrapers.indicators.records import Observation, ParseResult, Skip, SourceMeta
from scrapers.indicators.sdmx_serieskeys import read_series_keys
from scrapers.indicators.sowc import parse_sowc2023
from scrapers.indicators.unicef_csv import fetch_unicef_sdmx, parse_unicef_sdmx_csv
from scrapers.indicators.unicef_json import parse_sdmx_json
from scrapers.indicators.worldbank import fetch_worldbank, parse_worldbank_csv

__all__ = [
    "CatalogueError", "ImportError_", "Observation", "ParseResult", "Skip", "SourceMeta",
    "fetch_unicef_sdmx", "fetch_worldbank", "load_areas", "load_catalogue", "parse_egov_population",
    "parse_qamqor_sentencing", "parse_sdmx_json", "parse_sowc2023", "parse_stat_schools_csv",
    "parse_stat_schools_xlsx", "parse_unicef_sdmx_csv", "parse_worldbank_csv", "read_series_keys",
]
