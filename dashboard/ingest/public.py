"""What other capabilities may use of ingest: the contact-file import (the report pages offer it) and the
credit owed to the public data set it can load. Everything else in ``dashboard.ingest`` is private to it
(an import-linter contract in pyproject.toml keeps it so)."""

from dashboard.ingest.importers.anonymous_bank import ACKNOWLEDGEMENT
from dashboard.ingest.importers.anonymous_bank import TEAM as ANONYMOUS_BANK_TEAM
from dashboard.ingest.imports import IMPORT_COLUMNS, ImportFileError, contacts_import_csv

__all__ = ["ACKNOWLEDGEMENT", "ANONYMOUS_BANK_TEAM", "IMPORT_COLUMNS", "ImportFileError", "contacts_import_csv"]
