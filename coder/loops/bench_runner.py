"""The measuring script run inside the sandbox (``python coder_loop_bench.py JOB.json``).

It loads the target module twice in one process, the original (from the read-only
snapshot) and the candidate (from its copy), and measures the same workload on both:
  time     batches interleaved in a shuffled order with a second run of the original,
           so drift on a busy machine hits all three alike and the original-vs-itself
           spread is the noise;
  cost     executed bytecode instructions (sys.settrace opcode events), deterministic;
  profile  time per line of the candidate's function, for the model's feedback.
The workload is a benchmark expression, or the calls the tests made (recorded by the
pytest plugin). Only the standard library is used: this runs in the project's own
interpreter. The result is written as JSON to the path the job names.
"""

import gc
import importlib.util
import json
import pickle
import random
import sys
import time


def load_variant(path, module_name, alias, root):
    """The module's file loaded under its own name, its package's siblings from root."""
    if root not in sys.path:
        sys.path.insert(0, root)
    package = module_name.rpartition(".")[0]
    spec = importlib.util.spec_from_file_location(f"{package + '.' if package else ''}{alias}", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = package
    spec.loader.exec_module(module)
    return module


def resolve(module, qualname):
    value = module
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def workload(module, job):
    """A function of no arguments running the workload once against this variant."""
    function = resolve(module, job["qualname"])
    if job.get("bench"):
        code = compile(job["bench"], "<bench>", "eval")
        namespace = dict(vars(module))  # the expression's names are this variant's
        return lambda: eval(code, namespace)
    with open(job["calls"], "rb") as handle:
        calls = pickle.load(handle)

    def run_calls():
        results = []
        for blob in calls:
            args, kwargs = pickle.loads(blob)  # fresh arguments: the function may mutate them
            results.append(function(*args, **kwargs))
        return results

    return run_calls


def same_results(first, second):
    try:
        return first == second or repr(first) == repr(second)
    except Exception:
        return False


def measure_time(original, candidate, job):
    run_original, run_candidate = original, candidate
    loops, elapsed = 1, 0.0
    while loops < 1_000_000:  # enough loops for a batch of about target_s
        start = time.perf_counter()
        for _ in range(loops):
            run_original()
        elapsed = time.perf_counter() - start
        if elapsed >= job.get("batch_s", 0.02):
            break
        loops *= 4 if elapsed < job.get("batch_s", 0.02) / 8 else 2
    times = {"original": [], "candidate": [], "original_again": []}
    shuffle = random.Random(0)
    for _ in range(loops):  # warm the candidate as the calibration warmed the original
        run_candidate()
    gc.disable()  # collections land on whichever batch happens to run (as timeit does)
    try:
        rounds = _timed_rounds(times, run_original, run_candidate, loops, job.get("repeats", 11), shuffle)
    finally:
        gc.enable()
    return {"loops": loops, "rounds": rounds, **times}


def _timed_rounds(times, run_original, run_candidate, loops, repeats, shuffle):
    for _ in range(repeats):
        order = [("original", run_original), ("candidate", run_candidate), ("original_again", run_original)]
        shuffle.shuffle(order)
        for name, run in order:
            start = time.perf_counter()
            for _ in range(loops):
                run()
            times[name].append((time.perf_counter() - start) / loops)
    return repeats


def count_bytecode(run, limit):
    counted = [0]

    class Exceeded(Exception):
        pass

    def trace(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            counted[0] += 1
            if counted[0] > limit:
                raise Exceeded
        return trace

    sys.settrace(trace)
    try:
        run()
    except Exceeded:
        return None
    finally:
        sys.settrace(None)
    return counted[0]


def line_profile(module, job, run):
    code = resolve(module, job["qualname"]).__code__
    spent, hits = {}, {}
    last = [None, 0.0]

    def local(frame, event, arg):
        now = time.perf_counter()
        if last[0] is not None:
            spent[last[0]] = spent.get(last[0], 0.0) + now - last[1]
        if event == "line":
            hits[frame.f_lineno] = hits.get(frame.f_lineno, 0) + 1
            last[0], last[1] = frame.f_lineno, time.perf_counter()
        else:
            last[0] = None
        return local

    def trace(frame, event, arg):
        return local if frame.f_code is code else None

    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
    return {"first_line": code.co_firstlineno, "lines": {str(k): [hits.get(k, 0), spent.get(k, 0.0)]
                                                        for k in sorted(set(hits) | set(spent))}}


def main(job_path):
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    out = {"ok": True}
    try:
        original = load_variant(job["original"], job["module"], "_coder_original", job["original_root"])
        candidate = load_variant(job["candidate"], job["module"], "_coder_candidate", job["candidate_root"])
        run_original, run_candidate = workload(original, job), workload(candidate, job)
        out["same_results"] = same_results(run_original(), run_candidate())
        if "time" in job["modes"]:
            out["time"] = measure_time(run_original, run_candidate, job)
        if "cost" in job["modes"]:
            limit = job.get("cost_limit", 20_000_000)
            out["cost"] = {"original": count_bytecode(run_original, limit),
                           "candidate": count_bytecode(run_candidate, limit)}
        if "profile" in job["modes"]:
            out["profile"] = line_profile(candidate, job, run_candidate)
    except BaseException as error:  # the candidate's code may raise anything
        out = {"ok": False, "error": f"{type(error).__name__}: {error}"[:2000]}
    with open(job["result"], "w", encoding="utf-8") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main(sys.argv[1])
