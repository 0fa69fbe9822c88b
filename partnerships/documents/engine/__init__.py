"""Documents: fill DOCX templates, convert them to PDF, prepare signature fields.

Bytes in, bytes out: nothing here touches the database or HTTP, so every step can be
tested and benchmarked on its own.
"""
