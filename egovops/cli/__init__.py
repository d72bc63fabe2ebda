"""The typer CLI: the only place that prints and maps errors to exit codes."""
