"""A local stand-in for Tencent Cloud CI snapshot templates/jobs and a few COS object calls.

Independent of the client on purpose: it imports nothing from ``reconciler`` outside this
package, with its own XML and signature code, so a bug cannot hide by being the same on both
sides. See EMULATOR_COVERAGE.md for what is emulated and every known deviation.
"""

from .app import EmulatorApp, create_app
from .config import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatorConfig, EmulatorConfigError

__all__ = [
    "DEMO_SECRET_ID",
    "DEMO_SECRET_KEY",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorConfigError",
    "create_app",
]
