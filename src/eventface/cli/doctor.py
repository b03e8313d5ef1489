"""`eventface doctor`: what would hurt this server in production, one line each with its fix."""

from __future__ import annotations

import typer

from eventface.cli.options import DataDir, settings_for
from eventface.services.doctor import Severity, examine

LABELS = {Severity.SERIOUS: "SERIOUS", Severity.WARNING: "warning"}


def doctor(data_dir: DataDir = None) -> None:
    """Check the settings and the data dir for what would hurt in production (exit code 1: serious)."""
    findings = examine(settings_for(data_dir))  # settings eventface would refuse: exit code 2
    for finding in findings:
        typer.echo(f"{LABELS[finding.severity]:<8} {finding.problem} Fix: {finding.fix}")
    serious = sum(f.severity is Severity.SERIOUS for f in findings)
    if not findings:
        typer.echo("Nothing found that would hurt in production.")
    else:
        typer.echo(f"{serious} serious, {len(findings) - serious} warnings.")
    raise typer.Exit(1 if serious else 0)
