"""The benchmark from Python: `from walker import bench; bench.run({"mine": policy}, ...)`.

A thin door to `walker.app.bench.api.run` (see its docstring), imported only when asked
for, so `import walker` stays light.
"""

from walker.app.bench.api import run
from walker.app.bench.benchmark import BenchRun
from walker.app.bench.curves import CurveResult
from walker.app.bench.roster import BenchError
from walker.app.bench.summary import Summary

__all__ = ["BenchError", "BenchRun", "CurveResult", "Summary", "run"]
