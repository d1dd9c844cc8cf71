#!/usr/bin/python3
"""Times `quantscope-cli analyze` on one 4096 x 4096 tensor stored as F32 and as BF16, against
PyTorch doing the same work in-process, and prints a Markdown table (issue: analysis at memory
speed). Usage: analyze_vs_pytorch.py CLI [RUNS]

- analyze and list run as separate processes; "analyze − list" takes the process start (loading
  Qt, opening the file, listing its tensors) out, leaving the tensor's load, statistics and error
  pass. Warm: the file is in the page cache. Cold: the file's pages are dropped from the page
  cache (posix_fadvise DONTNEED) before every run.
- Peak RSS is /usr/bin/time's maximum resident set of one analyze: mapped file pages included.
- PyTorch (Debian python3-torch), on the same number of threads, warm, timed in-process so its
  import does not count: read the file, min/max, mean and std, a 2048-bin histogram, 8-bit
  symmetric fake quantization (MinMaxObserver's scale) and the MSE.
The tensor holds N(0, 0.02) values from numpy's default_rng(1). Median of RUNS runs (default 15).
"""
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

SIDE = 4096


def write_safetensors(path, values, dtype):
    if dtype == "BF16":
        bits = values.astype(np.float32).view(np.uint32)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
        data = rounded.astype(np.uint16).tobytes()
    else:
        data = values.astype(np.float32).tobytes()
    header = json.dumps({"w": {"dtype": dtype, "shape": list(values.shape), "data_offsets": [0, len(data)]}})
    header = header.encode() + b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(data)


def drop_from_page_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_once(args, cold_path=None):
    if cold_path:
        drop_from_page_cache(cold_path)
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status = os.waitpid(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"error: {' '.join(args)} exited with {child.returncode}")
    return elapsed * 1000.0


def peak_rss(args, tmp):
    """Peak resident set of one run in MiB, by /usr/bin/time: a child forked from this Python
    process would count the parent's pages in its ru_maxrss."""
    out = os.path.join(tmp, "rss.txt")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + args, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().split()[-1]) / 1024.0


def median_run(args, runs, cold_path=None):
    return statistics.median(run_once(args, cold_path) for _ in range(runs))


def torch_reference(path, dtype, runs, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)

    def work():
        with open(path, "rb") as f:
            blob = f.read()
        n = struct.unpack("<Q", blob[:8])[0]
        begin = 8 + n
        raw = np.frombuffer(blob, dtype=np.uint16 if dtype == "BF16" else np.float32, offset=begin)
        if dtype == "BF16":
            x = torch.from_numpy(raw.astype(np.int16)).view(torch.bfloat16).float()
        else:
            x = torch.from_numpy(raw.copy())
        lo, hi = torch.aminmax(x)
        mean, std = x.mean(), x.std(unbiased=False)
        hist = torch.histc(x, bins=2048, min=float(lo), max=float(hi))
        scale = float(max(-lo, hi)) / 127.5
        xq = torch.fake_quantize_per_tensor_affine(x, scale, 0, -128, 127)
        mse = torch.mean((x - xq) ** 2)
        return float(mse) + float(mean) + float(std) + float(hist[0])

    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cli = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    threads = os.cpu_count() or 1
    values = np.random.default_rng(1).standard_normal((SIDE, SIDE), dtype=np.float32) * np.float32(0.02)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("F32", "BF16"):
            path = os.path.join(tmp, dtype.lower() + ".safetensors")
            write_safetensors(path, values, dtype)
            analyze_args = [cli, "analyze", path, "--tensor", "w"]
            listing = median_run([cli, "list", path], runs)
            analyze = median_run(analyze_args, runs)
            cold = median_run(analyze_args, max(3, runs // 3), cold_path=path)
            peak = peak_rss(analyze_args, tmp)
            rows[dtype] = {
                "mapped": os.path.getsize(path) / 2**20,
                "list": listing,
                "analyze": analyze,
                "cold": cold,
                "peak": peak,
                "torch": torch_reference(path, dtype, runs, threads),
            }
    f32 = rows["F32"]["analyze"] - rows["F32"]["list"]
    print(f"4096 x 4096 tensor, {threads} threads, median of {runs} runs (cold: of {max(3, runs // 3)}), "
          f"load average {os.getloadavg()[0]:.2f}\n")
    print("| stored as | file MiB | list ms | analyze ms (warm) | analyze − list ms | × F32 | analyze ms (cold) "
          "| peak RSS MiB | PyTorch ms | (analyze − list) / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for dtype, r in rows.items():
        net = r["analyze"] - r["list"]
        torch_ms = r["torch"]
        ratio = f"{net / torch_ms:.3f}" if torch_ms else "n/a"
        torch_text = f"{torch_ms:.1f}" if torch_ms else "not installed"
        print(f"| {dtype} | {r['mapped']:.0f} | {r['list']:.1f} | {r['analyze']:.1f} | {net:.1f} | {net / f32:.2f} "
              f"| {r['cold']:.1f} | {r['peak']:.1f} | {torch_text} | {ratio} |")


if __name__ == "__main__":
    main()
