"""`python manage.py validate_bank [DIR]`: check an item bank and print a summary."""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification.bank import BankError, load_bank


class Command(BaseCommand):
    help = "Validate the item bank (default: ITEM_BANK_DIR) and summarize it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", default=settings.ITEM_BANK_DIR)

    def handle(self, *args: object, directory: str, **options: object) -> None:
        try:
            bank = load_bank(Path(directory))
        except BankError as error:
            raise CommandError(
                f"{len(error.errors)} problem(s) in the item bank:\n" + "\n".join(error.errors)
            ) from error
        competences = Counter(item.competence for item in bank.items)
        types = Counter(item.type for item in bank.items)
        flags = Counter(flag for item in bank.items for flag in item.flags)
        timed = sum(1 for item in bank.items if item.timed)
        self.stdout.write(f"{len(bank.items)} items, {len(competences)} competences")
        self.stdout.write(
            "  per competence: " + ", ".join(f"{k}: {v}" for k, v in sorted(competences.items()))
        )
        self.stdout.write("  types: " + ", ".join(f"{k}: {v}" for k, v in sorted(types.items())))
        self.stdout.write(
            "  flags: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(flags.items()))
            + f", timed: {timed}"
        )
        if bank.exposure:
            state = "current" if bank.exposure_current else "STALE, recompute it"
            self.stdout.write(
                f"  exposure control: Sympson-Hetter, {len(bank.exposure)} items with K < 1"
                f" ({state})"
            )
        else:
            self.stdout.write("  exposure control: none (no exposure.json)")
