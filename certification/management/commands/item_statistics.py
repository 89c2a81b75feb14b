"""`python manage.py item_statistics OUT.csv|OUT.ods [...]`: the item statistics table
(certification/itemstats.py), misbehaving items first, as .csv and/or .ods."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification import itemstats
from lib.spreadsheets import write_csv, write_ods


class Command(BaseCommand):
    help = "Write per-item statistics (exposure, success, point-biserial, fit…) to .csv/.ods."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outputs", nargs="+", help="files ending in .csv or .ods")

    def handle(self, *args: object, outputs: list[str], **options: object) -> None:
        paths = [Path(name) for name in outputs]
        for path in paths:
            if path.suffix not in (".csv", ".ods"):
                raise CommandError(f"{path}: only .csv and .ods are written")
        stats = itemstats.item_statistics()
        table = itemstats.table(stats)
        for path in paths:
            data = write_csv(table) if path.suffix == ".csv" else write_ods(table, "Questions")
            path.write_bytes(data)
            self.stdout.write(f"{path}: {len(stats)} items")
        flagged = sum(1 for s in stats if s.flags)
        self.stdout.write(f"{flagged} item(s) flagged")
