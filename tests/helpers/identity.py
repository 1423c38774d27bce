"""The test identity every emulator in the suite accepts (never a real account)."""

from __future__ import annotations

SECRET_ID = "AKIDe2eTestIdentity0000000000000000"
SECRET_KEY = "e2eTestSecretKeyNeverPrinted0123"
ENV = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}
