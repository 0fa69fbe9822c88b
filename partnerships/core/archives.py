"""Cheap structural checks on zip packages (DOCX templates, XLSX spreadsheets) before they are
unpacked.

A zip's central directory declares each member's compressed and uncompressed size. Reading the
directory costs almost nothing; unpacking a bomb costs gigabytes. Python's zipfile never yields
more bytes than a member declares (and fails its CRC check if the data is longer), so refusing
on the declared sizes bounds what any later parser built on zipfile can be made to read.
"""

import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from partnerships.core.errors import RegistryError


class ArchiveTooLarge(RegistryError):
    """A zip package whose declared contents exceed what the registry will unpack."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int
    max_total_bytes: int
    max_member_bytes: int
    # Ordinary XML compresses 5 to 40 times; a bomb of repeated bytes 1,000 times and more.
    max_ratio: int = 100
    # Small members may compress far better than the ratio (a run of empty cells); harmless.
    ratio_applies_above: int = 1024 * 1024


def check_archive(archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    """Refuse an archive by its declared sizes alone, before any member is decompressed."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ArchiveTooLarge(_("The file contains too many parts to be read safely."))
    total = 0
    for member in members:
        total += member.file_size
        too_big = member.file_size > limits.max_member_bytes or total > limits.max_total_bytes
        packed_too_well = (
            member.file_size > limits.ratio_applies_above
            and member.file_size > limits.max_ratio * max(member.compress_size, 1)
        )
        if too_big or packed_too_well:
            raise ArchiveTooLarge(_("The file is too large once unpacked."))
