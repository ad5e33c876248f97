"""The PyTorch export's predict.py against the pandas peer, on the same file in the same minute.

    python torch_predict_ingest.py PACKAGE BINDING.json FILE [--rounds 3]

PACKAGE is an exported MMoE package (towerflow export templates/mmoe.json --torch PACKAGE); a
checkpoint of fresh weights and encoders fitted on FILE is made in a temporary folder. Rounds
alternate the pandas peer (pandas_ingest.py: read_csv and Towerflow's encoding, in a child),
data.encode_file (predict.py's reading and encoding) and predict.main (all of predict.py: reading,
encoding, the model, writing the CSV), each timed without interpreter start-up and imports, as the
peer times itself. Prints one JSON line of medians, rows/s and the ratios to pandas.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("package")
    parser.add_argument("binding")
    parser.add_argument("file")
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    sys.path.insert(0, str(Path(opts.package).resolve()))
    # The package's modules, found once its folder is on the path.
    import data
    import model
    import predict
    import torch

    binding = json.loads(Path(opts.binding).read_text())
    encoders = data.fit_encoders(opts.file, binding, model.INPUTS, model.OUTPUTS)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "binding.json").write_text(json.dumps(binding))
        (Path(folder) / "encoders.json").write_text(json.dumps(encoders))
        torch.manual_seed(1)
        torch.save(model.Model().state_dict(), Path(folder) / "model.pt")
        times = {"pandas": [], "encode": [], "predict": []}
        rows = 0
        for _ in range(opts.rounds):
            peer = subprocess.run([sys.executable, str(HERE / "pandas_ingest.py"), opts.binding, opts.file], capture_output=True, text=True, check=True)
            times["pandas"].append(json.loads(peer.stdout)["seconds"])
            started = time.perf_counter()
            inputs, _ = data.encode_file(opts.file, {**binding, "labels": {}}, encoders, model.INPUTS, False)
            times["encode"].append(time.perf_counter() - started)
            rows = len(next(iter(inputs.values())))
            started = time.perf_counter()
            predict.main(["--checkpoint", folder, "--data", opts.file, "--out", str(Path(folder) / "predictions.csv")])
            times["predict"].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(json.dumps({
        "rows": rows,
        **{name: {"seconds": round(s, 3), "rowsPerSecond": round(rows / s)} for name, s in median.items()},
        "encodeVsPandas": round(median["pandas"] / median["encode"], 2),
        "predictVsPandas": round(median["pandas"] / median["predict"], 2),
        "torchThreads": torch.get_num_threads(),
        "rowByRowReads": data.READS["rows"],
    }))


if __name__ == "__main__":
    main()
