"""Type stubs of the Rust extension ipabs._ipabs (python/src/lib.rs)."""
from typing import Any, Dict, List, Optional

__version__: str
__build__: str

class IpabsError(Exception):
    """Base class of every ipabs error."""

    exit_code: int

class InputError(IpabsError):
    """A deal, scenario or actuals file is wrong (the first problem's location)."""

    file: str
    line: int
    column: int
    key_path: str
    problem: str
    expected: str
    errors: List[Dict[str, Any]]

class UsageError(IpabsError): ...
class OutputError(IpabsError): ...
class DifferencesError(IpabsError): ...
class InternalError(IpabsError): ...

def run_command(args: List[str]) -> None: ...
def notice_text(args: List[str]) -> str: ...
def check_deal(file: str, text: str) -> Dict[str, Any]: ...
def schema(kind: str) -> str: ...
def _panic_for_test() -> None: ...
