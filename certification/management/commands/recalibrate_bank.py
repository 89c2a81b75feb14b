"""`python manage.py recalibrate_bank [--write DIR --operator NAME] [--min-answers N]`:
the bank's 2PL parameters estimated from the collected answers, beside the bank's values;
with --write, a new version of the bank in DIR (the running bank is never changed: the
operator points ITEM_BANK_DIR at DIR to use it), audited."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification import calibration
from certification.actions import do_write_bank_version
from certification.bank import load_bank


class Command(BaseCommand):
    help = "Estimate the bank's 2PL parameters from the answers (MML) and show them beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bank", default=settings.ITEM_BANK_DIR)
        parser.add_argument("--min-answers", type=int, default=calibration.MIN_ANSWERS)
        parser.add_argument("--write", help="folder for the new version of the bank")
        parser.add_argument("--operator", default="", help="who applies it (for the audit)")

    def handle(self, *args: object, **options: object) -> None:
        source = Path(str(options["bank"]))
        bank = load_bank(source)
        estimated = calibration.recalibrate(bank, min_answers=int(str(options["min_answers"])))
        self.stdout.write(
            f"{'item':<12} {'answers':>7}  {'a bank':>6} {'a MML':>6}  {'b bank':>6} {'b MML':>6}"
        )
        for e in estimated:
            a = f"{e.a:6.2f}" if e.a is not None else "     —"
            b = f"{e.b:6.2f}" if e.b is not None else "     —"
            self.stdout.write(
                f"{e.item_id:<12} {e.answers:>7}  {e.bank_a:6.2f} {a}  {e.bank_b:6.2f} {b}"
            )
        estimable = sum(1 for e in estimated if e.a is not None)
        self.stdout.write(f"{estimable} of {len(estimated)} items estimated.")
        target = options["write"]
        if not target:
            self.stdout.write("Nothing written (--write DIR to make a new version of the bank).")
            return
        if not options["operator"]:
            raise CommandError("--operator NAME is required with --write: it is audited")
        if not estimable:
            raise CommandError("no item has enough answers: no new version written")
        if Path(str(target)).exists():
            raise CommandError(f"{target} already exists")
        # The same action as the jury's « Recalibration » page: written, then audited.
        version, changed = do_write_bank_version(
            source, Path(str(target)), estimated, operator=str(options["operator"]), actor=None
        )
        self.stdout.write(
            f"Bank version {version} written to {target} ({len(changed)} items changed). "
            f"To use it: recompute its exposure parameters (python scripts/simulate_adaptive.py"
            f" --calibrate-exposure --bank {target}) and set ITEM_BANK_DIR={target}."
        )
