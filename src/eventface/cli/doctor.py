"""`eventface doctor`: what would hurt this server in production, one line each with its fix."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from eventface.cli.options import DataDir, settings_for
from eventface.services.doctor import Severity, examine

LABELS = {Severity.SERIOUS: "SERIOUS", Severity.WARNING: "warning"}


def doctor(data_dir: DataDir = None) -> None:
    """Check the settings and the data dir for what would hurt in production (exit code 1: serious)."""
    try:
        settings = settings_for(data_dir)
    except ValidationError as exc:
        typer.echo(f"SERIOUS  the settings are invalid: {exc}", err=True)
        raise typer.Exit(1) from None
    findings = examine(settings)
    for finding in findings:
        typer.echo(f"{LABELS[finding.severity]:<8} {finding.problem} Fix: {finding.fix}")
    serious = sum(f.severity is Severity.SERIOUS for f in findings)
    if not findings:
        typer.echo("Nothing found that would hurt in production.")
    else:
        typer.echo(f"{serious} serious, {len(findings) - serious} warnings.")
    raise typer.Exit(1 if serious else 0)
