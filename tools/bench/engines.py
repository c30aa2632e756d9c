"""One engine, one case, in its own process: prints a JSON line with its timings.

    python -m tools.bench.engines --engine torch --case unet256 --rounds 3 --iters 3

Run by tools/bench/compare.py, which alternates engines and reads each child's peak RSS
from os.wait4. Engines: torch (diffusers modules, fp32), onnxruntime (fp32, exported from
the same torch module), openvino (fp32 and its default precision). Tessera is timed by
compare.py through `tessera bench`, not here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from .cases import CASES, build_inputs, load_module


def time_calls(fn, warmup: int, iters: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def torch_runner(module, inputs):
    with torch.inference_mode():
        module(*inputs)
    return lambda: module(*inputs)


def onnx_runner(module, inputs, work: Path, name: str):
    import onnxruntime as ort
    path = work / f"{name}.onnx"
    if not path.exists():
        names = [f"in{i}" for i in range(len(inputs))]
        torch.onnx.export(module, tuple(inputs), str(path), input_names=names, output_names=["out"],
                          opset_version=17, dynamo=False)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = os.cpu_count() or 2
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = {i.name: t.numpy() for i, t in zip(sess.get_inputs(), inputs)}
    return lambda: sess.run(None, feed)


def openvino_runner(module, inputs, precision: str):
    import openvino as ov
    with torch.no_grad():
        model = ov.convert_model(module, example_input=tuple(inputs))
    config = {"PERFORMANCE_HINT": "LATENCY"}
    if precision == "f32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = ov.Core().compile_model(model, "CPU", config)
    arrays = [t.numpy() for t in inputs]
    request = compiled.create_infer_request()
    return lambda: request.infer(arrays)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", required=True, choices=["torch", "onnxruntime", "openvino-f32", "openvino"])
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--work", default="/tmp/tessera-bench")
    args = ap.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 2)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    module = load_module(args.case, work)
    inputs = build_inputs(args.case)
    t0 = time.perf_counter()
    if args.engine == "torch":
        run = torch_runner(module, inputs)
    elif args.engine == "onnxruntime":
        run = onnx_runner(module, inputs, work, args.case)
    else:
        run = openvino_runner(module, inputs, "f32" if args.engine == "openvino-f32" else "default")
    prepare = time.perf_counter() - t0
    with torch.inference_mode():
        times = time_calls(run, args.warmup, args.iters)
    print(json.dumps({"engine": args.engine, "case": args.case, "median_s": statistics.median(times),
                      "times_s": times, "prepare_s": prepare}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
