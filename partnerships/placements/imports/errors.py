"""Why a whole file is refused. Stored on the batch as a code with parameters and put into
words when shown, in the reader's language."""

from django.utils.translation import gettext_lazy as _

from partnerships.core.errors import RegistryError

FILE_MESSAGES = {
    "file_type": _(
        "This is not a CSV or Excel (.xlsx) file. Download the template, fill it in and "
        "upload it as .xlsx or .csv."
    ),
    "old_excel": _(
        "This is an old Excel file (.xls). Open it in Excel and save it as .xlsx, then upload "
        "it again."
    ),
    "file_too_large": _("The file is larger than %(limit)s MB."),
    "file_empty": _("The file is empty."),
    "xlsx_unreadable": _(
        "The Excel file cannot be read: it may be damaged or protected by a password."
    ),
    "xlsx_formulas": _(
        "The spreadsheet contains formulas (the first in cell %(cell)s). Replace them by their "
        "values (copy, then paste values only) and upload it again."
    ),
    "xlsx_merged": _(
        "The spreadsheet has merged cells (%(cells)s). Unmerge them so that each row has its "
        "own values, and upload it again."
    ),
    "csv_utf16": _(
        "The CSV file is in UTF-16. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
    ),
    "csv_encoding": _(
        "The CSV file is not in UTF-8 (it may be in Windows-1258 or another older encoding), "
        "so Vietnamese letters would be garbled. Save it as “CSV UTF-8 (comma delimited)” "
        "and upload it again."
    ),
    "missing_columns": _(
        "These columns are missing: %(columns)s. Use the headers of the template."
    ),
    "no_rows": _("The file has headers but no rows."),
    "too_many_rows": _("The file has %(rows)s rows; at most %(limit)s can be imported at once."),
    "too_many_rows_read": _(
        "The file has more than %(limit)s rows; at most %(limit)s can be imported at once. "
        "Split it into several files."
    ),
    "sheet_too_large": _(
        "The spreadsheet says it holds %(rows)s rows and %(columns)s columns; at most "
        "%(limit)s rows and %(max_columns)s columns can be read. Delete the empty rows and "
        "columns after your data (or copy the data to a new sheet) and upload it again."
    ),
    "csv_unreadable": _(
        "The CSV file cannot be read: a line holds a character that is not text, or a value "
        "that is far too long. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
    ),
    "xlsx_too_large": _(
        "The Excel file is far larger once unpacked than its size suggests, so it is not "
        "read. Copy the data to a new workbook, save it as .xlsx and upload it again."
    ),
    "already_imported": _(
        "This file was already imported on %(date)s (import #%(batch)s); nothing was added again."
    ),
    "internal": _("The file could not be processed because of an internal error."),
    "data_changed": _(
        "MoU %(number)s no longer accepts placements from you (its state changed since the "
        "preview). Nothing was imported."
    ),
    "expired": _("This preview has expired. Upload the file again."),
    # The same words as the report form's (partnerships/placements/rules.py).
    "lookup_limit": _(
        "Too many national ID numbers were checked from your account or your business in the "
        "last 24 hours. Nothing was saved. Try again tomorrow, or ask the authority's staff to "
        "record these placements."
    ),
    "interrupted": _(
        "The import was interrupted (the background worker stopped). Nothing was saved and the "
        "uploaded file was deleted. Upload the file again."
    ),
    "timed_out": _(
        "The import took too long and was stopped. Nothing was saved and the uploaded file was "
        "deleted. Upload the file again; if it keeps failing, tell the administrator."
    ),
    "changed_meanwhile": _(
        "Records in this file changed in the registry while it was being imported. Nothing "
        "was imported: upload the file again to see a new preview."
    ),
}


class ImportRefused(RegistryError):
    """A file that cannot be imported as a whole; `message` says why, in words.

    Keeps the code and its parameters (stored on the batch) and words them when shown."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return file_message(self.code, self.params)


def file_message(code: str, params: dict | None = None) -> str:
    template = FILE_MESSAGES.get(code, FILE_MESSAGES["internal"])
    return str(template) % (params or {})
