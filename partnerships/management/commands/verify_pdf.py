"""Check the signatures of a PDF with the registry's trust settings, as the public page does.

Exit status 0 only when every signature is intact, valid and trusted and the document was not
changed after its last signature; 1 otherwise (including a file that is not a signed PDF).
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnerships.signing.verdicts import describe, verdict_for


class Command(BaseCommand):
    help = "Verify the signatures of a PDF; exit status 0 only if the document is fully valid."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the PDF to check")
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")

    def handle(self, *args, file, json: bool = False, **options):
        try:
            pdf = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        verdict = verdict_for(pdf)
        if json:
            self.stdout.write(_json(verdict.as_dict()))
        else:
            self._print(describe(verdict))
        if not verdict.ok:
            sys.exit(1)

    def _print(self, described: dict) -> None:
        style = self.style.SUCCESS if described["ok"] else self.style.ERROR
        self.stdout.write(style(described["summary"]))
        self.stdout.write(f"SHA-256: {described['sha256']}")
        for problem in described["problems"]:
            self.stdout.write(f"- {problem}")
        for number, signature in enumerate(described["signatures"], start=1):
            mark = "OK" if signature["ok"] else "NOT OK"
            self.stdout.write(f"\n{number}. [{mark}] {signature['title']}")
            for line in signature["lines"]:
                self.stdout.write(f"   - {line}")


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
