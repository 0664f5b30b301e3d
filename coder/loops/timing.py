"""Is a candidate faster? Measured in the sandbox, judged beyond the noise.

The runner (coder/loops/bench_runner.py) times batches of the original, the candidate
and the original again, interleaved in a shuffled order. Per round the ratio
original/candidate is the speedup and original/original-again is the noise. A speedup
is claimed only when its lower quartile clears the noise band (PIE's lesson: many
speedups measured on a noisy machine are not real). When the noise itself is large (a
busy machine) and the wall time cannot tell, the deterministic cost (executed
bytecode, identical on every run) decides, and only with a wall-time median that
agrees. Bytecode misses work done in C (a list lookup is one instruction however long
the list), so it never vetoes a clear wall-time gain.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from coder.loops.sandbox import Limits, Sandbox

RUNNER = "coder_loop_bench.py"
BUSY_NOISE = 1.25  # original-vs-itself spread beyond which wall time alone is not trusted


@dataclass(frozen=True)
class Workload:
    module: str  # dotted import name of the target's module
    module_path: str  # its file, relative to the repository root
    qualname: str
    bench: str | None = None  # an expression; else the recorded calls
    calls_file: str | None = None  # inside the sandbox: a pickle of recorded calls


@dataclass
class Verdict:
    faster: bool
    speedup: float | None  # median original/candidate
    low: float | None  # lower quartile of the per-round ratio
    high: float | None
    noise: float | None  # upper quartile of the original-vs-itself ratio's spread (>= 1)
    cost_ratio: float | None  # original/candidate executed bytecode
    same_results: bool | None
    reason: str
    original_s: float | None = None  # median seconds of one workload run
    candidate_s: float | None = None
    error: str | None = None
    profile: dict | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "profile"}
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in data.items()}

    def line(self) -> str:
        if self.error:
            return f"not measured: {self.error}"
        parts = []
        if self.speedup is not None:
            parts.append(f"{self.speedup:.2f}x (quartiles {self.low:.2f}-{self.high:.2f}, noise ±{(self.noise - 1) * 100:.0f}%)")
        if self.cost_ratio is not None:
            if abs(self.cost_ratio - 1) < 0.02:
                parts.append("the same executed bytecode")
            elif self.cost_ratio > 1:
                parts.append(f"{self.cost_ratio:.2f}x less executed bytecode")
            else:
                parts.append(f"{1 / self.cost_ratio:.2f}x more executed bytecode")
        return ", ".join(parts) + f": {self.reason}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def judge(measured: dict, *, min_speedup: float = 1.05) -> Verdict:
    """The verdict on the runner's output (pure: tested on recorded numbers)."""
    if not measured.get("ok"):
        return Verdict(False, None, None, None, None, None, None, "the benchmark failed",
                       error=measured.get("error", "no result"))
    times = measured.get("time")
    cost = measured.get("cost") or {}
    cost_ratio = None
    if cost.get("original") and cost.get("candidate"):
        cost_ratio = cost["original"] / cost["candidate"]
    same = measured.get("same_results")
    if not times:
        return Verdict(False, None, None, None, None, cost_ratio, same, "no timings")
    ratios = [o / c for o, c in zip(times["original"], times["candidate"]) if c > 0]
    noise_ratios = [o / a for o, a in zip(times["original"], times["original_again"]) if a > 0]
    speedup, low, high = statistics.median(ratios), _quantile(ratios, 0.25), _quantile(ratios, 0.75)
    # The band the original's own batches stray within, in either direction.
    noise = math.exp(_quantile([abs(math.log(r)) for r in noise_ratios], 0.75))
    verdict = Verdict(False, speedup, low, high, noise, cost_ratio, same, "",
                      original_s=statistics.median(times["original"]),
                      candidate_s=statistics.median(times["candidate"]))
    if same is False:
        verdict.reason = "gives different results from the original on the benchmark inputs"
    elif low > noise and speedup >= min_speedup:
        verdict.faster, verdict.reason = True, "faster beyond the noise"
    elif noise > BUSY_NOISE and cost_ratio is not None and cost_ratio >= 1.1 and speedup > 1.0:
        verdict.faster, verdict.reason = True, "the machine is noisy; fewer instructions and a faster median"
    elif speedup > 1.0:
        verdict.reason = "within the noise"
    else:
        verdict.reason = "not faster"
    return verdict


def install_runner(sandbox: Sandbox) -> Path:
    source = resources.files("coder.loops").joinpath("bench_runner.py").read_text(encoding="utf-8")
    return sandbox.add_support_file(RUNNER, source)


def measure(sandbox: Sandbox, copy: Path, python: Path, workload: Workload, *,
            modes: tuple[str, ...] = ("time", "cost"), repeats: int = 11, limits: Limits | None = None,
            cancelled=None, env: dict | None = None) -> dict:
    """Run the measuring script on the original (snapshot) and the copy's version."""
    job = {
        "original": str(sandbox.snapshot / workload.module_path), "original_root": str(sandbox.snapshot),
        "candidate": str(copy / workload.module_path), "candidate_root": str(copy),
        "module": workload.module, "qualname": workload.qualname, "bench": workload.bench,
        "calls": workload.calls_file, "modes": list(modes), "repeats": repeats,
        "result": str(copy / ".coder-loop-bench.json"),
    }
    job_path = copy / ".coder-loop-bench-job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    run = sandbox.run([str(python), str(sandbox.support / RUNNER), str(job_path)], copy,
                      limits=limits, cancelled=cancelled, env=env)
    try:
        return json.loads((copy / ".coder-loop-bench.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        reason = run.limit_hit or f"exit {run.returncode}"
        return {"ok": False, "error": f"the benchmark did not finish ({reason}): {run.output[-300:].strip()}"}


def module_name(relative_path: str) -> str:
    """The dotted import name of a file relative to the root (a src/ layout's prefix dropped)."""
    parts = list(Path(relative_path).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
