"""Bulk import of placements from CSV or XLSX: upload, background reading and checking,
preview of every bad row, then, once the user confirms, an all-or-nothing import.

- columns.py     the columns, their Vietnamese headers, the downloadable template
- reading.py     bytes -> header and rows; refuses wrong types, encodings, formulas, merges
- cells.py       one cell -> a typed value or a Problem
- validation.py  rows -> prepared rows and problems, with every lookup done in bulk
- service.py     the batch's life: upload, read, confirm, import, cancel, and the background
                 tasks that run the reading and the import
- tasks.py       old task paths, for jobs queued before the tasks moved into service.py
"""
