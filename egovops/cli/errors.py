"""Exit codes and the one place where exceptions become messages (DESIGN.md: exit codes).

0 clean · 1 findings at or above ``--fail-on`` · 2 bad input or usage · 3 partial (some devices
unreachable) · 4 internal error (a bug: rerun with ``--debug`` and report it) · 130 interrupted.
"""

from __future__ import annotations

from rich.markup import escape

from egovops.cli.state import State
from egovops.errors import EgovopsError, InputError, ToolMissingError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_PARTIAL = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


def report_error(exc: BaseException, st: State) -> int:
    """Print ``exc`` for a person and return the exit code it maps to."""
    t = st.t
    if isinstance(exc, InputError):
        st.err.print(f"[bold red]{t('error')}:[/] {escape(t.problem(exc.summary))}",
                     highlight=False)
        for problem in exc.problems:
            st.err.print(
                f"  {escape(problem.location())}: [yellow]\\[{escape(t.code(problem.code))}][/] "
                f"{escape(t.problem(problem.message))}",
                highlight=False,
                soft_wrap=True,
                markup=True,
            )
        return EXIT_INPUT
    if isinstance(exc, ToolMissingError):
        st.err.print(t("missing_tool", error=exc), highlight=False, markup=False)
        return EXIT_INPUT
    if isinstance(exc, EgovopsError):
        st.err.print(f"{t('error')}: {t.problem(str(exc))}", highlight=False, markup=False)
        return EXIT_INPUT
    st.err.print(t("internal_error", error=f"{type(exc).__name__}: {exc}"), highlight=False,
                 markup=False)
    return EXIT_INTERNAL
